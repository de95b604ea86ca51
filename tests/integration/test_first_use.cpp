// What a new user hit in a first afternoon, each as the command and what it printed: output
// that vanished past a cap, background jobs reaped as idle, names that shadow ids or stay held
// by a tombstone, spawns that accepted what could never run, an exec that raced a spawn.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
using hive::test::trim;
using hive::test::wait_until_ended;
using namespace std::chrono_literals;

TEST_CASE("hivectl exec passes on every byte: a stream has no cap", "[integration]") {
  TestServer server;
  const std::string id = trim(server.hivectl({"spawn"}).out);
  // 20 MiB, past the 16 MiB a waited exec keeps: streamed, all of it arrives.
  auto big = server.hivectl({"exec", id, "--", "sh", "-c", "head -c 20971520 /dev/zero"});
  CHECK(big.exit_code == 0);
  CHECK(big.out.size() == 20971520);
  CHECK_THAT(big.err, !Catch::Contains("truncated"));
}

TEST_CASE("a background job's log keeps its newest output and says what it dropped",
          "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  // ~23 MB of numbered lines, then "done": past the agent's 4 MiB log and the old 16 MiB cap.
  ExecRequest request;
  request.command = "seq 1 3000000; echo done";
  auto pid = server.hivectl({"exec", "-d", sb->id, "--", "sh", "-c", request.command});
  REQUIRE(pid.exit_code == 0);
  auto followed = server.hivectl({"logs", "-f", sb->id, trim(pid.out)});
  CHECK(followed.exit_code == 0);
  auto logs = server.hivectl({"logs", sb->id, trim(pid.out)});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Catch::EndsWith("2999999\n3000000\ndone\n"));
  CHECK(logs.out.size() < 5u << 20);
  CHECK_THAT(logs.err, Catch::Matches("hivectl: the oldest [0-9]+ bytes of this process's log were "
                                      "dropped \\(the newest 4 MiB are kept\\)\n"));
}

TEST_CASE("a background process is activity: the idle reaper leaves it be", "[integration]") {
  TestServer server;
  auto client = server.client();
  const std::string id = trim(server.hivectl({"spawn", "--idle-timeout", "2"}).out);
  REQUIRE(server.hivectl({"exec", "-d", id, "--", "sleep", "5"}).exit_code == 0);
  std::this_thread::sleep_for(4s);  // twice the idle timeout, the job still running
  CHECK(client.get(id)->state == State::Running);
  // Once it has exited, silence is idleness again.
  auto ended = wait_until_ended(client, id, 15s);
  CHECK(ended.state == State::Terminated);
  CHECK(ended.reason == "idle");
}

TEST_CASE("a server restart does not restart a sandbox's idle clock", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.idle_timeout_seconds = 4;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  std::this_thread::sleep_for(3s);
  server.stop();
  server.start();
  auto restarted = std::chrono::steady_clock::now();
  client = server.client();
  auto ended = wait_until_ended(client, sb->id, 10s);
  CHECK(ended.reason == "idle");
  // Idle since before the restart: reaped about a second after it, not 4 s after.
  CHECK(std::chrono::steady_clock::now() - restarted < 3500ms);
}

TEST_CASE("names cannot take an id's form, and a tombstone does not hold its name",
          "[integration]") {
  TestServer server;
  auto client = server.client();
  const std::string id = trim(server.hivectl({"spawn"}).out);
  auto shadow = server.hivectl({"spawn", "--name", id});
  CHECK(shadow.exit_code != 0);
  CHECK_THAT(shadow.err, Catch::Contains("has the form of a sandbox id"));
  CHECK(server.hivectl({"spawn", "--name", "sb-abcdefgh"}).exit_code != 0);
  CHECK(server.hivectl({"spawn", "--name", "sb-rollout-1"}).exit_code == 0);  // not an id's form

  REQUIRE(server.hivectl({"spawn", "--name", "rollout-1"}).exit_code == 0);
  auto again = server.hivectl({"spawn", "--name", "rollout-1"});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Catch::Contains("a sandbox named 'rollout-1' already exists (sb-"));
  CHECK_THAT(again.err, Catch::Contains("'hivectl rm rollout-1' frees the name"));

  SandboxSpec spec;
  spec.name = "short-lived";
  spec.ttl_seconds = 1;
  auto first = client.spawn(spec);
  REQUIRE(first);
  REQUIRE(wait_until_ended(client, first->id, 10s).state == State::Terminated);
  spec.ttl_seconds = 0;
  auto second = client.spawn(spec);  // the tombstone gives way
  REQUIRE(second);
  CHECK(second->id != first->id);
  CHECK(client.get("short-lived")->id == second->id);
}

TEST_CASE("spawn refuses what cannot run, and --dry-run is the server's check", "[integration]") {
  TestServer server;
  // A workdir that can be made is (the root is writable); one that cannot is refused, not a
  // sandbox where every exec fails with 126.
  auto made = server.hivectl({"spawn", "--workdir", "/nonexistent/dir"});
  REQUIRE(made.exit_code == 0);
  CHECK(server.hivectl({"exec", trim(made.out), "--", "pwd"}).out == "/nonexistent/dir\n");
  REQUIRE(server.hivectl({"deprovision", trim(made.out)}).exit_code == 0);
  auto nowhere = server.hivectl({"spawn", "--workdir", "/usr/hive-nope/dir"});
  CHECK(nowhere.exit_code != 0);
  CHECK_THAT(nowhere.err, Catch::Contains("workdir '/usr/hive-nope/dir' cannot be made: "
                                          "Read-only file system"));
  auto tiny = server.hivectl({"spawn", "--memory", "1"});
  CHECK(tiny.exit_code != 0);
  CHECK_THAT(tiny.err, Catch::Contains("below the least a sandbox can run in, 16Mi"));
  auto many = server.hivectl({"spawn", "--cpu", "64"});
  CHECK(many.exit_code != 0);
  CHECK_THAT(many.err, Catch::Contains("is more than this machine's"));
  auto half = server.hivectl({"spawn", "--cpu", "0.5", "-o", "json"});  // docker's habit
  CHECK(half.exit_code == 0);
  CHECK(nlohmann::json::parse(half.out)["resources"]["cpu"] == "0.5");
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out).find('\n') == std::string::npos);

  auto dry = server.hivectl({"spawn", "--dry-run"});  // the server's defaults, filled in
  CHECK(dry.exit_code == 0);
  auto spec = nlohmann::json::parse(dry.out);
  CHECK(spec["resources"]["memory"] == "2Gi");
  CHECK(spec["ttl_seconds"] == 3600);
  auto dry_many = server.hivectl({"spawn", "--cpu", "64", "--dry-run"});
  CHECK(dry_many.exit_code != 0);
  CHECK_THAT(dry_many.err, Catch::Contains("is more than this machine's"));
  REQUIRE(server.hivectl({"spawn", "--name", "taken"}).exit_code == 0);
  auto dry_taken = server.hivectl({"spawn", "--name", "taken", "--dry-run"});
  CHECK(dry_taken.exit_code != 0);
  CHECK_THAT(dry_taken.err, Catch::Contains("a sandbox named 'taken' already exists"));
}

TEST_CASE("exec on a sandbox still Starting waits for it", "[integration]") {
  // One worker places spawns one after another: the last of ten is still Starting when the
  // exec arrives.
  TestServer server({"--workers", "1"});
  auto client = server.client();
  std::string last;
  for (int i = 0; i < 10; ++i) {
    auto sb = client.spawn_no_wait({});
    REQUIRE(sb);
    last = sb->id;
  }
  auto exec = server.hivectl({"exec", last, "--", "echo", "ready"});
  CHECK(exec.exit_code == 0);
  CHECK(exec.out == "ready\n");
}

TEST_CASE("cp follows docker cp's rules for a trailing slash, both ways", "[integration]") {
  TestServer server;
  const std::string id = trim(server.hivectl({"spawn"}).out);
  hive::test::TempDir local;
  const std::string src = local.path() + "/src";
  std::filesystem::create_directories(src);
  std::ofstream(src + "/a.txt") << "a\n";
  std::ofstream(local.path() + "/file.txt") << "f\n";
  auto ls = [&](const std::string& path) {
    return server.hivectl({"exec", id, "--", "sh", "-c", "cd " + path + " && find . | sort"}).out;
  };

  // A directory to a new DEST/ becomes DEST (not DEST/DEST).
  REQUIRE(server.hivectl({"cp", src, id + ":/workspace/newdir/"}).exit_code == 0);
  CHECK(ls("/workspace/newdir") == ".\n./a.txt\n");
  // Into an existing directory it keeps its name.
  REQUIRE(server.hivectl({"cp", src, id + ":/workspace/newdir/"}).exit_code == 0);
  CHECK(ls("/workspace/newdir") == ".\n./a.txt\n./src\n./src/a.txt\n");
  // A file to a DEST/ that does not exist is refused, as docker refuses it; to a file, replaces.
  auto nd = server.hivectl({"cp", local.path() + "/file.txt", id + ":/workspace/nd/"});
  CHECK(nd.exit_code != 0);
  CHECK_THAT(nd.err, Catch::Contains("the destination directory '/workspace/nd/' does not exist"));
  REQUIRE(server.hivectl({"cp", local.path() + "/file.txt", id + ":/workspace/f"}).exit_code == 0);
  REQUIRE(server.hivectl({"cp", local.path() + "/file.txt", id + ":/workspace/f"}).exit_code == 0);
  CHECK(server.hivectl({"exec", id, "--", "cat", "/workspace/f"}).out == "f\n");

  // The other way: a new local DEST/ becomes the directory, no error.
  auto back = server.hivectl({"cp", id + ":/workspace/newdir", local.path() + "/out/"});
  CHECK(back.exit_code == 0);
  CHECK(std::filesystem::exists(local.path() + "/out/a.txt"));
  CHECK(std::filesystem::exists(local.path() + "/out/src/a.txt"));
  auto file_to_dir = server.hivectl({"cp", id + ":/workspace/f", local.path() + "/nope/"});
  CHECK(file_to_dir.exit_code != 0);
  CHECK_THAT(file_to_dir.err, Catch::Contains("does not exist"));
}

TEST_CASE("a cp that fills the disk is a 507 and leaves nothing partial", "[integration]") {
  TestServer server;
  const std::string id = trim(server.hivectl({"spawn", "--disk", "8Mi"}).out);
  hive::test::TempDir local;
  const std::string big = local.path() + "/big";
  REQUIRE(hive::test::run({"/bin/sh", "-c", "head -c 16777216 /dev/zero > " + big}).exit_code == 0);
  auto full = server.hivectl({"cp", big, id + ":/workspace/sub/big"});
  CHECK(full.exit_code != 0);
  CHECK_THAT(full.err, Catch::Contains("No space left on device"));
  auto left = server.hivectl({"exec", id, "--", "sh", "-c", "ls -A /workspace; du -sk /workspace"});
  CHECK(left.out == "0\t/workspace\n");
  // Through the API: 507, a full disk, not a 500.
  auto status =
      hive::test::run({"/bin/sh", "-c",
                       "tar -C " + local.path() +
                           " -cf - big | curl -s -o /dev/null -w '%{http_code}' -H "
                           "'Authorization: Bearer " +
                           server.token() + "' -X PUT --data-binary @- '" + server.url() +
                           "/v1/sandboxes/" + id + "/files?path=/workspace&extract=true'"});
  CHECK(status.out == "507");
}

TEST_CASE("every limit a sandbox hit is shown, not the first alone", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.resources.memory = "64Mi";
  spec.resources.pids = 32;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  ExecRequest big;
  big.command = "python3 -c 'x = bytearray(256 * 1024 * 1024)'";
  REQUIRE(client.exec(sb->id, big));
  CHECK(client.get(sb->id)->reason == "oom");
  ExecRequest bomb;
  bomb.command = "for i in $(seq 200); do sleep 3 & done 2>/dev/null; wait";
  REQUIRE(client.exec(sb->id, bomb));
  CHECK(client.get(sb->id)->reason == "oom, pids-limit");
  auto got = server.hivectl({"get", sb->id});
  CHECK_THAT(got.out, Catch::Contains("Running (oom, pids-limit)"));
}

TEST_CASE("the OpenAPI document is public", "[integration]") {
  TestServer server;
  auto fetched = hive::test::run({"/usr/bin/curl", "-sf", server.url() + "/openapi.json"});
  CHECK(fetched.exit_code == 0);
  CHECK(nlohmann::json::parse(fetched.out)["openapi"] == "3.0.3");
}

namespace {

// What each descriptor of a process refers to ("socket:[123]", "/var/lib/hive/server.log").
std::set<std::string> fd_targets(const std::string& pid) {
  std::set<std::string> targets;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + pid + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    auto target = std::filesystem::read_symlink(it->path(), ec);
    if (!ec) targets.insert(target.string());
  }
  return targets;
}

}  // namespace

TEST_CASE("no process Hive starts holds a descriptor of the server's", "[integration]") {
  TestServer server;
  const std::string id = trim(server.hivectl({"spawn", "--network", "egress"}).out);
  REQUIRE(server.hivectl({"exec", "-d", id, "--", "sleep", "30"}).exit_code == 0);
  const std::string agent = hive::test::agent_pid(id);
  REQUIRE(!agent.empty());
  // The agent's children (the command, slirp4netns is started by the server) and slirp4netns.
  std::vector<std::string> pids{agent};
  std::istringstream children(hive::test::slurp("/proc/" + agent + "/task/" + agent + "/children"));
  for (std::string child; children >> child;) pids.push_back(child);
  auto slirp =
      trim(hive::test::run({"/usr/bin/pgrep", "-f", "slirp4netns.* " + agent + " tap0"}).out);
  REQUIRE(!slirp.empty());
  pids.push_back(slirp);
  REQUIRE(pids.size() >= 3);

  auto server_fds = fd_targets(std::to_string(server.pid()));
  server_fds.erase("/dev/null");
  // Every eventfd, epoll and timerfd reads the same ("anon_inode:[eventfd]"): not comparable.
  std::erase_if(server_fds, [](const std::string& t) { return t.rfind("anon_inode:", 0) == 0; });
  REQUIRE(!server_fds.empty());
  for (const auto& pid : pids) {
    for (const auto& target : fd_targets(pid)) {
      INFO("pid " << pid << " holds " << target);
      CHECK(server_fds.count(target) == 0);  // no listening socket, log or database of its
    }
  }
  // And so a restart on the same port works while the sandbox lives.
  server.stop();
  server.start();
  CHECK(server.hivectl({"exec", id, "--", "true"}).exit_code == 0);
}

TEST_CASE("ordinary file errors are the client's, not a 500; a dry run holds no token",
          "[integration]") {
  TestServer server;
  const std::string id = trim(server.hivectl({"spawn"}).out);
  auto status = [&](const std::string& method, const std::string& query) {
    return hive::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                            method, "-H", "Authorization: Bearer " + server.token(),
                            server.url() + "/v1/sandboxes/" + id + "/files?" + query})
        .out;
  };
  CHECK(status("DELETE", "path=/dev") == "409");                              // a mount point: busy
  CHECK(status("PUT", "path=/workspace/" + std::string(300, 'x')) == "400");  // name too long
  CHECK(status("PATCH", "path=/workspace") == "405");
  auto log = hive::test::slurp(server.state_dir() + "/server.log");
  CHECK(log.find(" 500 ") == std::string::npos);

  auto dry = hive::test::run({"/usr/bin/curl", "-s", "-X", "POST", "-H",
                              "Authorization: Bearer " + server.token(), "--data", "{}",
                              server.url() + "/v1/sandboxes?dryRun=All"});
  auto answer = nlohmann::json::parse(dry.out);
  CHECK(answer["state"] == "Starting");
  CHECK_FALSE(answer.contains("token"));
}
