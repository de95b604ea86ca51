// What a hostile tenant or a bad disk does to the control plane's own state: a damaged
// hive.db stops the start with the way out (and that way leaves no orphan running), and a
// state directory filled through a sandbox's /workspace is reported, and can be emptied again.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
namespace fs = std::filesystem;

namespace {

void overwrite_with_noise(const std::string& path, std::size_t offset, std::size_t length) {
  std::mt19937 random(7);
  std::string noise(length, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(noise.data(), static_cast<std::streamsize>(noise.size()));
}

// hive-server on the state directory, expected to refuse to start; `timeout` ends one that
// wrongly comes up (exit 124).
hive::test::Outcome start_refused(const TestServer& server) {
  return hive::test::run({"/usr/bin/timeout", "20", hive::test::bin("hive-server"), "--listen",
                          "127.0.0.1:0", "--state-dir", server.state_dir(), "--client-config",
                          "none"});
}

// This server's sandbox cgroups on the host (one directory per id and hierarchy).
std::set<std::string> cgroups_of(const std::set<std::string>& ids) {
  std::set<std::string> found;
  for (const auto& dir : hive::test::cgroup_dirs([&](const std::string& path) {
         const fs::path p(path);
         return p.parent_path().filename() == "hive" && ids.count(p.filename()) != 0;
       })) {
    found.insert(fs::path(dir).filename());
  }
  return found;
}

std::string curl(const std::string& url) {
  return hive::test::run({"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}", url}).out;
}

}  // namespace

TEST_CASE("a damaged store stops the start, and its recovery leaves no orphan",
          "[integration][store]") {
  TestServer server;
  auto client = server.client();
  std::set<std::string> ids;
  std::map<std::string, int> pids;
  for (int i = 0; i < 2; ++i) {
    auto sb = client.spawn({});
    REQUIRE(sb);
    ids.insert(sb->id);
    pids[sb->id] = std::stoi(hive::test::agent_pid(sb->id));
  }
  const std::string db = server.state_dir() + "/hive.db";
  std::string problem;
  SECTION("noise over hive.db and its WAL after a crash") {
    server.kill9();
    REQUIRE(fs::exists(db + "-wal"));
    overwrite_with_noise(db, 0, 4096);
    overwrite_with_noise(db + "-wal", 0, 4096);
    problem = "it does not start with the SQLite header (overwritten?)";
  }
  SECTION("noise over the sandboxes table after a clean stop") {
    REQUIRE(server.stop() == 0);
    overwrite_with_noise(db, 4096, 4096);
    problem = "SQLite's quick_check finds: ";
  }
  SECTION("hive.db truncated to 0 bytes") {
    REQUIRE(server.stop() == 0);
    fs::resize_file(db, 0);
    problem = "it is empty (0 bytes): truncated, it no longer holds any record";
  }
  auto refused = start_refused(server);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("the sandbox store " + db + " is damaged: " + problem));
  CHECK_THAT(refused.err, Catch::Contains("hive-server will not start on it"));
  CHECK_THAT(refused.err, Catch::Contains("move " + db + " (with its -wal and -shm files) aside"));
  CHECK_THAT(refused.err, Catch::Contains("at that start, sandboxes running without a record "
                                          "are torn down as orphans"));
  for (const auto& [id, pid] : pids) CHECK(kill(pid, 0) == 0);  // refusing touched nothing

  // The operator's way out: the damaged files aside, start empty.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    fs::rename(db + suffix, db + ".damaged" + suffix, ec);
  }
  server.start();
  auto listed = server.client().list();
  REQUIRE(listed);
  CHECK(listed->empty());
  const std::string log = hive::test::slurp(server.state_dir() + "/server.log");
  for (const auto& [id, pid] : pids) {
    CHECK_THAT(log, Catch::Contains("tore down orphan sandbox " + id));
    CHECK_FALSE(fs::exists(server.state_dir() + "/sandboxes/" + id));
    CHECK(hive::test::agent_pid(id).empty());
    CHECK((kill(pid, 0) != 0 ||
           hive::test::run({"/bin/ps", "-o", "stat=", "-p", std::to_string(pid)}).out.find('Z') !=
               std::string::npos));
  }
  CHECK(cgroups_of(ids).empty());
  CHECK(server.client().spawn({}));  // and the empty store works
}

TEST_CASE("the copy kept at a clean stop restores every sandbox", "[integration][store]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  REQUIRE(server.stop() == 0);
  const std::string db = server.state_dir() + "/hive.db";
  REQUIRE(fs::exists(db + ".bak"));
  fs::resize_file(db, 0);
  CHECK(start_refused(server).exit_code == 1);
  fs::rename(db, db + ".damaged");
  fs::copy_file(db + ".bak", db);
  server.start();
  ExecRequest echo;
  echo.argv = {"echo", "back"};
  auto out = server.client().exec(sb->id, echo);
  REQUIRE(out);
  CHECK(out->stdout_data == "back\n");
}

TEST_CASE("a tenant filling the state directory's disk: not ready, and its deprovision works",
          "[integration][store]") {
  struct Unmount {  // declared first: the server is gone before the tmpfs goes
    std::string path;
    ~Unmount() {
      if (path.empty()) return;
      umount2(path.c_str(), MNT_DETACH);
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } unmount;
  TestServer server;
  REQUIRE(server.stop() == 0);
  // The state directory on a disk of its own, small enough to fill in a second.
  REQUIRE(mount("tmpfs", server.state_dir().c_str(), "tmpfs", 0, "size=48m,mode=0700") == 0);
  unmount.path = server.state_dir();
  server.start();
  auto client = server.client();
  CHECK_THAT(curl(server.url() + "/readyz"), Catch::EndsWith(" 200"));
  SandboxSpec spec;
  spec.resources.memory = "512Mi";  // tmpfs pages are charged to the writer: room for 48m
  auto culprit = client.spawn(spec);
  auto bystander = client.spawn({});
  REQUIRE(culprit);
  REQUIRE(bystander);

  ExecRequest fill;
  fill.command = "dd if=/dev/zero of=/workspace/fill bs=1M";
  auto filled = client.exec(culprit->id, fill);
  REQUIRE(filled);
  CHECK(filled->exit_code != 0);
  CHECK_THAT(filled->stderr_data, Catch::Contains("No space left on device"));

  auto not_ready = curl(server.url() + "/readyz");
  CHECK_THAT(not_ready, Catch::EndsWith(" 503"));
  CHECK_THAT(not_ready,
             Catch::Contains("the disk of the state directory " + server.state_dir() + " is full"));
  CHECK_THAT(curl(server.url() + "/healthz"), Catch::EndsWith(" 200"));
  auto refused = client.spawn({});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == hive::Errc::unavailable);
  CHECK_THAT(refused.error().message, Catch::Contains("cannot spawn: the disk of the state"));
  CHECK(client.keepalive(bystander->id));  // the reserve keeps the store writable meanwhile

  auto deleted = client.deprovision(culprit->id);
  REQUIRE(deleted);
  CHECK(deleted->state == State::Terminated);
  CHECK_FALSE(fs::exists(server.state_dir() + "/sandboxes/" + culprit->id));
  CHECK_THAT(curl(server.url() + "/readyz"), Catch::EndsWith(" 200"));
  auto after = client.spawn({});
  REQUIRE(after);
  ExecRequest echo;
  echo.argv = {"echo", "ok"};
  auto out = client.exec(bystander->id, echo);
  REQUIRE(out);
  CHECK(out->stdout_data == "ok\n");
}
