// Resource limits hold, the sandbox says which one was hit, and nothing else is disturbed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::run_in;
using hive::test::TestServer;
namespace fs = std::filesystem;

namespace {

Sandbox spawn_with(Client& client, Resources resources) {
  SandboxSpec spec;
  spec.resources = std::move(resources);
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  return *sb;
}

}  // namespace

TEST_CASE("an allocation past the memory limit is killed and reported as oom", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = spawn_with(client, {.memory = "64Mi"});
  auto big = run_in(client, sb.id, "python3 -c 'x = bytearray(256 * 1024 * 1024); print(len(x))'");
  CHECK(big.exit_code == 137);
  CHECK(big.stdout_data.empty());
  auto after = client.get(sb.id);
  REQUIRE(after);
  CHECK(after->state == State::Running);
  CHECK(after->reason == "oom");
  CHECK(run_in(client, sb.id, "echo still here").stdout_data == "still here\n");
}

TEST_CASE("a fork bomb stops at the pids limit and others run on", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto bomb = spawn_with(client, {.pids = 32});
  auto neighbour = spawn_with(client, {});
  auto forked = run_in(client, bomb.id, "for i in $(seq 200); do sleep 3 & done; wait");
  CHECK_THAT(forked.stderr_data, Catch::Contains("fork"));
  CHECK(client.get(bomb.id)->reason == "pids-limit");
  CHECK(run_in(client, neighbour.id, "echo fine").stdout_data == "fine\n");
  CHECK(client.get(neighbour.id)->reason.empty());
}

TEST_CASE("the disk limit bounds the writable layer and /workspace", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = spawn_with(client, {.disk = "8Mi"});
  auto fill = run_in(client, sb.id, "head -c 16M /dev/zero > /workspace/big");
  CHECK(fill.exit_code != 0);
  CHECK_THAT(fill.stderr_data, Catch::Contains("No space left on device"));
  CHECK(client.get(sb.id)->reason == "disk-full");
  CHECK(run_in(client, sb.id, "head -c 1M /dev/zero > /var/x").exit_code != 0);  // same layer
  run_in(client, sb.id, "rm /workspace/big");
  CHECK(client.get(sb.id)->reason.empty());
  CHECK(run_in(client, sb.id, "head -c 1M /dev/zero > /var/x").exit_code == 0);
}

TEST_CASE("the CPU limit throttles a busy sandbox", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = spawn_with(client, {.cpu = "100m"});
  run_in(client, sb.id, "timeout 1 sh -c 'while :; do :; done'; true");
  // The kernel's own count of throttled periods for the sandbox's cpu group.
  std::int64_t throttled = 0;
  for (const auto& dir : hive::test::cgroups_named(sb.id)) {
    std::ifstream stat(fs::path(dir) / "work" / "cpu.stat");  // the limits are on commands
    for (std::string key; stat >> key;) {
      std::int64_t value = 0;
      stat >> value;
      if (key == "nr_throttled") throttled += value;
    }
  }
  CHECK(throttled > 0);
}

TEST_CASE("exec still answers while commands spin every CPU at the memory limit", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = spawn_with(client, {.memory = "64Mi"});
  // Spinners on every core and a process holding most of the memory limit, all left running.
  run_in(client, sb.id,
         "for i in 1 2 3 4; do (while :; do :; done) & done; "
         "python3 -c 'import time; x = bytearray(56 << 20); time.sleep(60)' & sleep 1");
  for (int i = 0; i < 5; ++i) {
    auto answered = run_in(client, sb.id, "echo alive; head -c 4096 /dev/zero | wc -c");
    CHECK(answered.exit_code == 0);
    CHECK(answered.stdout_data == "alive\n4096\n");
  }
  // The hogs are still there: the agent answered beside them, not instead of them.
  CHECK(hive::test::trim(run_in(client, sb.id, "pgrep -c python3").stdout_data) == "1");
  auto after = client.get(sb.id);
  REQUIRE(after);
  CHECK(after->state == State::Running);
}
