// Warm pools: a matching spawn is served from ready sandboxes, behaves exactly like a cold
// one, and the pool refills behind it.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
using namespace std::chrono_literals;

namespace {

// Sandboxes of this server, pooled or not: each has a directory in the state dir.
int sandboxes_of(const TestServer& server) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(server.state_dir() + "/sandboxes")) {
    ++count;
  }
  return count;
}

// Waits until the server has `count` sandboxes and the newest has had time to be recorded
// Running (its directory appears when its start begins; a start takes ~5 ms, 50 under ASan).
void wait_for(const TestServer& server, int count) {
  for (int i = 0; i < 400 && sandboxes_of(server) < count; ++i) std::this_thread::sleep_for(25ms);
  std::this_thread::sleep_for(1s);
}

}  // namespace

TEST_CASE("a claimed sandbox carries the request's name, labels, env and workdir",
          "[integration]") {
  TestServer server({"--warm-pool", "2"});
  wait_for(server, 2);  // the default pool fills at start
  auto client = server.client();
  CHECK(client.list()->empty());  // pooled sandboxes are nobody's yet

  SandboxSpec spec;
  spec.name = "claimed";
  spec.labels = {{"run", "9"}};
  spec.env = {{"TASK", "sort"}};
  spec.workdir = "/tmp/job";
  spec.ttl_seconds = 120;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  CHECK(sb->spec.name == "claimed");
  CHECK(sb->spec.labels.at("run") == "9");
  CHECK(sb->spec.ttl_seconds == 120);
  ExecRequest request;
  request.command = "echo $TASK; pwd; hostname";
  auto out = client.exec(sb->id, request);
  REQUIRE(out);
  CHECK(out->stdout_data == "sort\n/tmp/job\n" + sb->id + "\n");

  auto listed = client.list();
  REQUIRE(listed);
  CHECK(listed->size() == 1);
  wait_for(server, 3);  // refilled behind the claim
  CHECK(sandboxes_of(server) == 3);

  SandboxSpec again;
  again.name = "claimed";
  auto clash = client.spawn(again);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == hive::Errc::conflict);
  CHECK(sandboxes_of(server) == 3);  // the pooled sandbox went back untouched
}

TEST_CASE("pooled sandboxes survive a crash; a clean stop takes them down", "[integration]") {
  std::string pooled;
  std::vector<std::string> ours;
  {
    TestServer server({"--warm-pool", "1"});
    wait_for(server, 1);
    REQUIRE(sandboxes_of(server) == 1);
    pooled =
        std::filesystem::directory_iterator(server.state_dir() + "/sandboxes")->path().filename();
    server.kill9();
    server.start();  // the pooled sandbox is taken back, not started again
    auto sb = server.client().spawn({});
    REQUIRE(sb);
    CHECK(sb->id == pooled);
    wait_for(server, 2);
    for (const auto& entry :
         std::filesystem::directory_iterator(server.state_dir() + "/sandboxes")) {
      ours.push_back(entry.path().filename());
    }
  }  // SIGTERM: the refilled pooled sandbox must go with the server
  REQUIRE(ours.size() == 2);
  for (const auto& id : ours) {
    CHECK(hive::test::agent_pid(id).empty());
  }
}
