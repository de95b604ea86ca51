// OCI images on the local runtime, end to end: a real registry (tests/support/registry.hpp)
// serving images made without an engine, pulled by a real server, run as real sandboxes.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "image_cases.hpp"
#include "process.hpp"
#include "registry.hpp"
#include "tmux.hpp"

using hive::test::layer_dirs;
using hive::test::Outcome;
using hive::test::Sandbox;
using hive::test::spawn;
using hive::test::TestRegistry;
using hive::test::TestServer;
using hive::test::trim;
namespace fs = std::filesystem;

namespace {

// A docker config.json with the test registry's credentials.
std::string docker_config(const hive::test::TempDir& dir, const TestRegistry& registry) {
  const std::string path = dir.path() + "/config.json";
  Outcome encoded = hive::test::run({"/usr/bin/base64", "-w0"},
                                    std::string(TestRegistry::user) + ":" + TestRegistry::password);
  std::ofstream(path)
      << nlohmann::json{{"auths", {{registry.host(), {{"auth", encoded.out}}}}}}.dump();
  return path;
}

// A "registry" that accepts connections and never answers: a pull from it waits until
// close() ends them (each retry is then refused at once).
class SilentRegistry {
 public:
  SilentRegistry() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener_, 64) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("SilentRegistry: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] {
      for (int fd; (fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
        std::lock_guard lock(mutex_);
        held_.push_back(fd);
      }
    });
  }
  ~SilentRegistry() { close(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  void close() {
    if (listener_ < 0) return;
    shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    listener_ = -1;
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (int fd : held_) ::close(fd);
    held_.clear();
  }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> held_;
};

}  // namespace

TEST_CASE("an image from a registry runs: layers, whiteouts, ENV, WORKDIR and USER apply",
          "[images]") {
  TestRegistry registry;
  TestServer server;
  const std::string image = registry.host() + "/test/busybox:multi";
  auto pulled = server.hivectl({"image", "pull", image});
  INFO(pulled.err);
  REQUIRE(pulled.exit_code == 0);
  CHECK(trim(pulled.out) == image);
  CHECK_THAT(pulled.err, Catch::Contains("pulled " + image + " (sha256:"));

  auto listed = server.hivectl({"image", "ls"});
  CHECK_THAT(listed.out, Catch::StartsWith("NAME") && Catch::Contains(image));

  auto sb = spawn(server, image);
  auto who = sb.sh("id -un; pwd; echo $FOO; ls /data; ls /opq");
  INFO(who.err);
  CHECK(who.exit_code == 0);
  // /data/gone is whited out by layer 2, /opq/old hidden by its opaque marker.
  CHECK(who.out == "app\n/data\nfrom-image\nkeep\nthree\nnew\n");
  CHECK(trim(sb.sh("cat /etc/hostname").out) == sb.id);
  CHECK_THAT(sb.sh("cat /etc/hosts").out, Catch::Contains("localhost"));
  // The workspace is the user's; the image's own files stay as built.
  CHECK(sb.sh("echo hi > /workspace/f && cat /workspace/f").out == "hi\n");
  CHECK(sb.sh("touch /usr/bin/x").exit_code != 0);
  // Files and cp reach the image's root like any other.
  hive::test::TempDir local;
  std::ofstream(local.path() + "/in.txt") << "copied in\n";
  CHECK(server.hivectl({"cp", local.path() + "/in.txt", sb.id + ":/workspace/in.txt"}).exit_code ==
        0);
  CHECK(sb.sh("cat /workspace/in.txt").out == "copied in\n");
  CHECK(server.hivectl({"cp", sb.id + ":/data/keep", local.path() + "/keep"}).exit_code == 0);
  CHECK(hive::test::slurp(local.path() + "/keep") == "keep\n");
  // MCP's built-in tools and attach run as the image's user, in its WORKDIR.
  auto tool = server.hivectl({"mcp", "call", sb.id, "run_command", "--arg", "command=id -un; pwd"});
  INFO(tool.err);
  CHECK(nlohmann::json::parse(tool.out, nullptr, false).value("stdout", "") == "app\n/data\n");
  CHECK(server.hivectl({"mcp", "call", sb.id, "read_file", "--arg", "path=/data/three"}).out ==
        "three\n");
  std::string attached;
  auto session = server.client().attach(
      sb.id, {.command = {"sh", "-c", "id -un; echo $FOO"},
              .tty = false,
              .input_fd = -1,
              .on_stdout = [&](std::string_view data) { attached += data; }});
  REQUIRE(session);
  CHECK(session->exit_code == 0);
  CHECK(attached == "app\nfrom-image\n");

  // In use, it cannot be removed; once its sandbox is gone it can, and its layers go too.
  auto refused = server.hivectl({"image", "rm", image});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("in use by " + sb.id));
  REQUIRE(server.hivectl({"rm", sb.id}).exit_code == 0);
  auto removed = server.hivectl({"image", "rm", image});
  INFO(removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(layer_dirs(server).empty());
  CHECK(trim(server.hivectl({"image", "ls", "-o", "name"}).out).empty());
}

TEST_CASE("spawn --start runs the image's Entrypoint and Cmd in the background, as its USER",
          "[images]") {
  TestRegistry registry;
  TestServer server;
  const std::string image = registry.host() + "/test/busybox:multi";
  auto spawned = server.hivectl({"spawn", "--image", image, "--start"});
  INFO(spawned.err);
  REQUIRE(spawned.exit_code == 0);
  Sandbox sb{server, trim(spawned.out)};
  // Entrypoint [/bin/sh -c] + Cmd ["echo started > /tmp/started; sleep 1000"]
  auto ps = server.hivectl({"ps", sb.id});
  CHECK_THAT(ps.out, Catch::Contains("running") &&
                         Catch::Contains("/bin/sh -c echo started > /tmp/started; sleep 1000"));
  CHECK(sb.sh("for i in $(seq 50); do test -e /tmp/started && break; sleep 0.1; done; "
              "stat -c %U /tmp/started; cat /tmp/started")
            .out == "app\nstarted\n");
  auto got = server.hivectl({"get", sb.id, "-o", "jsonpath={.start}"});
  CHECK(trim(got.out) == "true");

  // Image host has no command to start: refused before anything is made.
  auto refused = server.hivectl({"spawn", "--start"});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("image 'host' has none"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out) == sb.id);
}

TEST_CASE("a spawn that pulls is Pulling meanwhile and holds up no spawn of a cached image",
          "[images]") {
  SilentRegistry registry;
  TestServer server({"--workers", "1"});  // one worker: a pull holding it would show
  const std::string image = registry.host() + "/slow/image:1";
  auto later = server.hivectl({"spawn", "--no-wait", "--image", image, "-o", "json"});
  INFO(later.err);
  REQUIRE(later.exit_code == 0);
  auto record = nlohmann::json::parse(later.out);
  CHECK(record["state"] == "Pulling");
  auto waiting = std::async(std::launch::async, [&] {
    return server.hivectl({"spawn", "--image", image});  // waits, on the pull workers
  });
  // How many sandboxes are Pulling (one name a line).
  auto pulling = [&] {
    const std::string names = server.hivectl({"list", "--state", "pulling", "-o", "name"}).out;
    return std::count(names.begin(), names.end(), '\n');
  };
  for (int i = 0; i < 100 && pulling() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(pulling() == 2);
  // Both pulls wait on a registry that says nothing; a cached image spawns all the same.
  auto cached = server.hivectl({"spawn"});
  INFO(cached.err);
  CHECK(cached.exit_code == 0);
  CHECK(trim(server.hivectl({"get", trim(cached.out), "-o", "jsonpath={.state}"}).out) ==
        "Running");

  registry.close();  // the registry goes: both pulls fail, saying where they pulled from
  auto waited = waiting.get();
  CHECK(waited.exit_code != 0);
  CHECK_THAT(waited.err, Catch::Contains(registry.host()));
  const std::string id = record["id"];
  std::string state;
  for (int i = 0; i < 100 && state != "Failed"; ++i) {
    state = trim(server.hivectl({"get", id, "-o", "jsonpath={.state}"}).out);
    if (state != "Failed") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(state == "Failed");
  CHECK_THAT(server.hivectl({"get", id, "-o", "jsonpath={.reason}"}).out,
             Catch::Contains(registry.host()));

  // A server stopped mid-pull cuts the pull off, rather than wait minutes on the registry.
  SilentRegistry another;
  REQUIRE(server.hivectl({"spawn", "--no-wait", "--image", another.host() + "/slow/image:1"})
              .exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto stopping = std::chrono::steady_clock::now();
  CHECK(server.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - stopping < std::chrono::seconds(30));
}

TEST_CASE("warm pools are per image: a pooled image sandbox is claimed with its config",
          "[images]") {
  TestRegistry registry;
  TestServer server({"--warm-pool", "1"});
  const std::string image = registry.host() + "/test/busybox:multi";
  auto dirs = [&] {
    std::set<std::string> ids;
    for (const auto& e : fs::directory_iterator(server.state_dir() + "/sandboxes")) {
      ids.insert(e.path().filename());
    }
    return ids;
  };
  auto cold = spawn(server, image);  // asks for a pool of this image
  // The pool of image host (filled at start), this sandbox, and the image's pooled one.
  for (int i = 0; i < 200 && dirs().size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // recorded Running, not just begun
  const auto before = dirs();
  REQUIRE(before.size() == 3);
  auto claimed = server.hivectl({"spawn", "--image", image, "-e", "TASK=sort"});
  INFO(claimed.err);
  REQUIRE(claimed.exit_code == 0);
  Sandbox sb{server, trim(claimed.out)};
  CHECK(before.count(sb.id) == 1);  // it was the pooled one
  CHECK(sb.id != cold.id);
  CHECK(sb.sh("id -un; pwd; echo $FOO $TASK; ls /data").out ==
        "app\n/data\nfrom-image sort\nkeep\nthree\n");
  auto refused = server.hivectl({"image", "rm", image});
  CHECK(refused.exit_code != 0);  // in use, by the pooled sandboxes too
}

TEST_CASE("a root image is writable everywhere, a numeric USER runs as that uid", "[images]") {
  TestRegistry registry;
  TestServer server;
  auto root = spawn(server, registry.host() + "/test/busybox:root");
  auto wrote = root.sh(
      "id -u; mkdir -p /usr/local/lib/site && echo ok > /usr/local/lib/site/x && cat "
      "/usr/local/lib/site/x");
  CHECK(wrote.out == "0\nok\n");
  auto numeric = spawn(server, registry.host() + "/test/busybox:numeric");
  CHECK(numeric.sh("id -u; id -g").out == "1000\n1000\n");
  // Two sandboxes of one image share its layers but not their writes.
  auto other = spawn(server, registry.host() + "/test/busybox:root");
  CHECK(other.sh("test -e /usr/local/lib/site/x || echo absent").out == "absent\n");
}

TEST_CASE("zstd layers, Docker schema 2 and a two-platform index all pull and run", "[images]") {
  TestRegistry registry;
  TestServer server;
  for (const char* name :
       {"/test/busybox-zstd:multi", "/test/busybox-v2s2:multi", "/test/multiarch:1"}) {
    auto sb = spawn(server, registry.host() + name);
    CHECK(sb.sh("cat /data/three").out == "three\n");
  }
  auto image = server.client().get_image(registry.host() + "/test/multiarch:1");
  REQUIRE(image);
  CHECK((*image)["platform"] == "linux/amd64");
}

TEST_CASE("pull errors say what is wrong and store nothing", "[images]") {
  TestRegistry registry;
  TestServer server;
  auto none = server.hivectl({"image", "pull", registry.host() + "/test/busybox:no-such-tag"});
  CHECK(none.exit_code != 0);
  CHECK_THAT(none.err, Catch::Contains("has no such manifest: manifest unknown"));

  auto platform = server.hivectl({"image", "pull", registry.host() + "/test/noplatform:1"});
  CHECK(platform.exit_code != 0);
  CHECK_THAT(platform.err,
             Catch::Contains("has no linux/amd64 variant; it offers linux/s390x, windows/amd64"));

  auto unreachable = server.hivectl({"image", "pull", "127.0.0.1:1/test/busybox:multi"});
  CHECK(unreachable.exit_code != 0);
  CHECK_THAT(unreachable.err, Catch::Contains("registry 127.0.0.1:1 is unreachable"));

  auto invalid = server.hivectl({"image", "pull", "Bad Name"});
  CHECK(invalid.exit_code != 0);
  CHECK_THAT(invalid.err, Catch::Contains("is not a valid reference"));

  // A registry that serves other bytes than the digest names: refused, nothing kept.
  std::ifstream digest_file(hive::test::test_images_dir() + "/bad-digest-layer.digest");
  std::string digest;
  digest_file >> digest;
  registry.corrupt_blob(digest, hive::test::test_images_dir() + "/bad-digest-layer.tar.gz");
  auto corrupt = server.hivectl({"image", "pull", registry.host() + "/bad/digest:1"});
  CHECK(corrupt.exit_code != 0);
  CHECK_THAT(corrupt.err,
             Catch::Contains("with digest sha256:") && Catch::Contains("nothing was stored"));
  auto spawned = server.hivectl({"spawn", "--image", registry.host() + "/bad/digest:1"});
  CHECK(spawned.exit_code != 0);
  CHECK(layer_dirs(server).empty());
  CHECK(trim(server.hivectl({"image", "ls", "-o", "name"}).out).empty());
  CHECK(fs::is_empty(server.state_dir() + "/images/tmp"));
}

TEST_CASE("registries behind Basic and Bearer-token auth pull with credentials only", "[images]") {
  hive::test::TempDir config_dir;
  for (auto auth : {TestRegistry::Auth::basic, TestRegistry::Auth::token}) {
    TestRegistry registry(auth);
    const std::string image = registry.host() + "/test/busybox:multi";
    {
      TestServer anonymous({"--registry-config", config_dir.path() + "/none.json"});
      auto refused = anonymous.hivectl({"image", "pull", image});
      CHECK(refused.exit_code != 0);
      CHECK_THAT(refused.err, Catch::Contains("refused") && Catch::Contains("--registry-config"));
      if (auth == TestRegistry::Auth::token) {  // the issuer grants anyone public/*
        CHECK(anonymous.hivectl({"image", "pull", registry.host() + "/public/busybox:multi"})
                  .exit_code == 0);
      }
    }
    TestServer server({"--registry-config", docker_config(config_dir, registry)});
    auto sb = spawn(server, image);
    CHECK(sb.sh("cat /data/keep").out == "keep\n");
  }
}

TEST_CASE("hostile layers write nothing outside their directory", "[images]") {
  TestRegistry registry;
  TestServer server;
  for (const char* path : {"/tmp/escape-abs", "/tmp/escape-symlink", "/escape-dotdot",
                           "/tmp/hive-escape-etc", "/tmp/hive-escape-ws"}) {
    fs::remove_all(path);
  }
  auto dotdot = server.hivectl({"image", "pull", registry.host() + "/evil/dotdot:1"});
  CHECK(dotdot.exit_code != 0);
  CHECK_THAT(dotdot.err, Catch::Contains("leaves the layer"));
  auto hardlink = server.hivectl({"image", "pull", registry.host() + "/evil/hardlink:1"});
  CHECK(hardlink.exit_code != 0);
  CHECK_THAT(hardlink.err, Catch::Contains("leaves the layer"));
  // An absolute name, a write through a symlink to "/", an absolute hard link, device nodes:
  // each lands inside the layer (or is dropped), never on the host.
  for (const char* name :
       {"/evil/abs:1", "/evil/symlink:1", "/evil/hardlink:abs", "/evil/device:1"}) {
    auto pulled = server.hivectl({"image", "pull", registry.host() + name});
    INFO(name << ": " << pulled.err);
    CHECK(pulled.exit_code == 0);
  }
  CHECK_FALSE(fs::exists("/tmp/escape-abs"));
  CHECK_FALSE(fs::exists("/tmp/escape-symlink"));
  CHECK_FALSE(fs::exists("/escape-dotdot"));
  CHECK(hive::test::slurp("/etc/passwd").find("root:") != std::string::npos);
  for (const auto& dir : layer_dirs(server)) {
    CHECK_FALSE(fs::exists(fs::symlink_status(dir + "/dev/sda")));
    CHECK_FALSE(fs::exists(fs::symlink_status(dir + "/dev/sdb")));
  }
  // /etc and /workspace as symlinks to host paths: the sandbox's mounts stay in its root.
  auto sb = spawn(server, registry.host() + "/evil/etclink:1");
  CHECK(trim(sb.sh("cat /etc/hostname").out) == sb.id);
  CHECK(sb.sh("echo x > /workspace/f && cat /workspace/f").out == "x\n");
  CHECK_FALSE(fs::exists("/tmp/hive-escape-etc"));
  CHECK_FALSE(fs::exists("/tmp/hive-escape-ws"));
}

TEST_CASE("concurrent spawns of an uncached image fetch each blob once", "[images]") {
  TestRegistry registry;
  TestServer server;
  const std::string image = registry.host() + "/test/busybox:multi";
  std::vector<std::future<Outcome>> spawns;
  for (int i = 0; i < 10; ++i) {
    spawns.push_back(std::async(std::launch::async, [&] {
      return server.hivectl({"spawn", "--image", image});
    }));
  }
  for (auto& s : spawns) {
    auto got = s.get();
    INFO(got.err);
    CHECK(got.exit_code == 0);
  }
  auto info = server.client().get_image(image);
  REQUIRE(info);
  for (const auto& layer : (*info)["layers"])
    CHECK(registry.blob_gets(layer.get<std::string>()) == 1);
  CHECK((*info)["in_use_by"].size() == 10);
}

TEST_CASE("image sandboxes and the image store survive a server restart", "[images]") {
  TestRegistry registry;
  TestServer server;
  const std::string image = registry.host() + "/test/busybox:multi";
  auto sb = spawn(server, image);
  REQUIRE(sb.sh("echo kept > /workspace/k").exit_code == 0);
  server.kill9();
  server.start();
  CHECK(sb.sh("cat /workspace/k; id -un").out == "kept\napp\n");
  auto listed = server.hivectl({"image", "ls", "-o", "json"});
  auto json = nlohmann::json::parse(listed.out);
  REQUIRE(json["items"].size() == 1);
  CHECK(json["items"][0]["in_use_by"] == nlohmann::json::array({sb.id}));
  // Nothing half-made survives a restart: tmp/ is emptied.
  fs::create_directories(server.state_dir() + "/images/tmp/deadbeef.layer.1");
  server.kill9();
  server.start();
  CHECK(fs::is_empty(server.state_dir() + "/images/tmp"));
}

TEST_CASE(
    "a pull cut by kill -9 leaves no unpacker and nothing half-made; pulled again, it is whole",
    "[images]") {
  TestRegistry registry;
  // ~200 MB in 5 layers (tests/bench/make_big_image.py): big enough to be caught mid-unpack.
  hive::test::TempDir made;
  auto built = hive::test::run({"/usr/bin/python3",
                                std::string(HIVE_SOURCE_DIR) + "/tests/bench/make_big_image.py",
                                made.path()});
  REQUIRE(built.exit_code == 0);
  const std::string image = registry.host() + "/test/big:1";
  auto pushed = hive::test::run({"/usr/bin/skopeo", "copy", "--dest-tls-verify=false",
                                 "oci:" + made.path() + "/oci:big", "docker://" + image});
  INFO(pushed.err);
  REQUIRE(pushed.exit_code == 0);

  TestServer server;
  auto pulling = std::async(std::launch::async, [&] {
    return server.hivectl({"image", "pull", image});
  });
  // Its unpackers (hive-server unpack-layer TMP/...), found while one is at work and stopped
  // there, so that none can finish before the server is killed: with the server gone, the
  // kernel must kill them (a stopped orphan would stay for ever).
  const std::string tmp = server.state_dir() + "/images/tmp";
  auto unpackers = [&] {
    return hive::test::run({"/usr/bin/pgrep", "-f", "unpack-layer " + tmp}).out;
  };
  std::vector<pid_t> stopped;
  for (int i = 0; i < 10000 && stopped.empty(); ++i) {
    std::istringstream pids(unpackers());
    for (pid_t pid; pids >> pid;) {
      // At work once it has made its directory (argv[2]); before that it may not yet have
      // asked the kernel for the signal.
      std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
      std::string arg, dir;
      for (int n = 0; std::getline(cmdline, arg, '\0'); ++n) {
        if (n == 2) dir = arg;
      }
      if (!dir.empty() && fs::exists(dir) && kill(pid, SIGSTOP) == 0) stopped.push_back(pid);
    }
    if (stopped.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(!stopped.empty());
  server.kill9();
  std::string left = unpackers();
  for (int i = 0; i < 50 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = unpackers();
  }
  CHECK(left.empty());
  if (!left.empty()) {  // an orphan is not kept, stopped for ever
    for (pid_t pid : stopped) kill(pid, SIGKILL);
  }
  auto cut = pulling.get();  // (an orphan holding the client's connection would hang this)
  CHECK(cut.exit_code != 0);

  server.start();
  CHECK(fs::is_empty(tmp));
  auto listed = nlohmann::json::parse(server.hivectl({"image", "ls", "-o", "json"}).out);
  CHECK(listed["items"].empty());  // the cut pull made no image
  auto pulled = server.hivectl({"image", "pull", image});
  INFO(pulled.err);
  REQUIRE(pulled.exit_code == 0);
  auto sb = spawn(server, image);
  // Every byte of the 20 files of 10 MiB, whichever layers the first pull finished.
  CHECK(sb.sh("cat /data*/blob* | wc -c").out == "209715200\n");
}

TEST_CASE("a spawn at a terminal pulls first and shows each layer's progress", "[images]") {
  TestRegistry registry;
  TestServer server;
  const std::string image = registry.host() + "/test/busybox:multi";
  const std::string command = "env HIVE_SERVER=" + server.url() + " HIVE_TOKEN=" + server.token() +
                              " " + hive::test::bin("hivectl") + " spawn --image " + image +
                              "; echo spawned=$?; sleep 60";
  hive::test::Tmux tmux;
  REQUIRE(tmux.open(command, 160, 30));
  REQUIRE(tmux.shows("spawned=0"));
  const std::string screen = tmux.screen();
  // One line per layer, each redrawn in place until it says done: 3 layers, 3 lines.
  CHECK_THAT(screen, Catch::Contains("161e4b7c032d: done 1.0MB"));
  std::size_t done = 0;
  for (auto at = screen.find(": done"); at != std::string::npos; at = screen.find(": done", at + 1))
    ++done;
  CHECK(done == 3);
  CHECK_THAT(screen, Catch::Contains("pulled " + image) || Catch::Contains("sb-"));
  // --pull never with an image not there says so, and spawns nothing.
  auto never = server.hivectl(
      {"spawn", "--pull", "never", "--image", registry.host() + "/test/busybox:root"});
  CHECK(never.exit_code != 0);
  CHECK_THAT(never.err, Catch::Contains("is not on the server and --pull is never"));
}

TEST_CASE("past --image-cache-size the least recently used unused image goes", "[images]") {
  TestRegistry registry;
  TestServer server({"--image-cache-size", "1"});
  const std::string busybox = registry.host() + "/test/busybox:root";
  const std::string tiny = registry.host() + "/evil/abs:1";
  // Alone it is over the bound, but the image just pulled is never the one evicted.
  REQUIRE(server.hivectl({"image", "pull", busybox}).exit_code == 0);
  auto sb = spawn(server, busybox);
  // In use, it stays however far over the bound the cache is.
  REQUIRE(server.hivectl({"image", "pull", tiny}).exit_code == 0);
  CHECK(trim(server.hivectl({"image", "ls", "-o", "name"}).out) == tiny + "\n" + busybox);
  // Unused, it is the oldest: the next pull evicts it, and its layers go with it.
  REQUIRE(server.hivectl({"rm", sb.id}).exit_code == 0);
  REQUIRE(server.hivectl({"image", "pull", registry.host() + "/evil/device:1"}).exit_code == 0);
  auto names = trim(server.hivectl({"image", "ls", "-o", "name"}).out);
  CHECK_THAT(names, !Catch::Contains("busybox"));
  CHECK(layer_dirs(server).size() == 1);  // the newest alone
}
