// TTL and idle reaping, keepalive, and what a reaped sandbox looks like afterwards.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
using hive::test::wait_until_ended;
using namespace std::chrono_literals;

TEST_CASE("a sandbox past its TTL is reaped and says why", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.ttl_seconds = 1;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  auto started = std::chrono::steady_clock::now();
  auto ended = wait_until_ended(client, sb->id);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(ended.state == State::Terminated);
  CHECK(ended.reason == "ttl");
  CHECK(took < 5s);  // generous: the reaper promises within 2 s of the deadline

  CHECK(hive::test::agent_pid(sb->id).empty());  // no agent left

  ExecRequest request;
  request.argv = {"true"};
  auto refused = client.exec(sb->id, request);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("Terminated (ttl)"));

  auto listed = server.hivectl({"list"});
  CHECK_THAT(listed.out, Catch::Contains("Terminated (ttl)"));
  CHECK(client.deprovision(sb->id));  // removes the record
  CHECK_FALSE(client.get(sb->id));
}

TEST_CASE("traffic keeps a sandbox from idling out; silence does not", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.idle_timeout_seconds = 1;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  ExecRequest request;
  request.argv = {"true"};
  for (int i = 0; i < 8; ++i) {  // 2 s of traffic, twice the idle timeout
    REQUIRE(client.exec(sb->id, request));
    std::this_thread::sleep_for(250ms);
  }
  CHECK(client.get(sb->id)->state == State::Running);

  // A call longer than the idle timeout is activity the whole time.
  ExecRequest slow;
  slow.argv = {"sleep", "1.6"};
  auto slept = client.exec(sb->id, slow);
  REQUIRE(slept);
  CHECK(slept->exit_code == 0);

  auto ended = wait_until_ended(client, sb->id);
  CHECK(ended.state == State::Terminated);
  CHECK(ended.reason == "idle");
}

TEST_CASE("keepalive pushes expiry and restarts the idle clock", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.ttl_seconds = 2;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  std::this_thread::sleep_for(1200ms);
  auto kept = server.hivectl({"keepalive", sb->id});
  CHECK(kept.exit_code == 0);
  CHECK_THAT(kept.out, Catch::Contains(sb->id + " expires "));
  auto after = client.get(sb->id);
  REQUIRE(after);
  CHECK(after->expires_at > sb->expires_at);
  std::this_thread::sleep_for(1200ms);  // past the first deadline, before the new one
  CHECK(client.get(sb->id)->state == State::Running);
  CHECK(server.hivectl({"keepalive", "sb-nothere"}).exit_code == 1);
}

TEST_CASE("deadlines hold across a server crash", "[integration]") {
  TestServer server;
  SandboxSpec spec;
  spec.ttl_seconds = 2;
  auto sb = server.client().spawn(spec);
  REQUIRE(sb);
  server.kill9();
  std::this_thread::sleep_for(2500ms);  // the deadline passes while no server runs
  server.start();
  auto client = server.client();
  auto ended = wait_until_ended(client, sb->id);
  CHECK(ended.state == State::Terminated);
  CHECK(ended.reason == "ttl");
}

TEST_CASE("a sandbox whose agent dies is reported Failed and cleaned up", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  auto agent = hive::test::agent_pid(sb->id);
  REQUIRE(!agent.empty());
  hive::test::run({"/bin/kill", "-9", agent});
  auto ended = wait_until_ended(client, sb->id);
  CHECK(ended.state == State::Failed);
  CHECK(ended.reason == "agent-exit");
  CHECK_FALSE(std::filesystem::exists(server.state_dir() + "/sandboxes/" + sb->id));
}

TEST_CASE("the TTL holds even while a call is running", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.ttl_seconds = 1;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  ExecRequest forever;
  forever.argv = {"sleep", "60"};
  auto cut = client.exec(sb->id, forever);  // ends when the sandbox does, not after 60 s
  CHECK_FALSE((cut && cut->exit_code == 0));
  auto ended = wait_until_ended(client, sb->id);
  CHECK(ended.reason == "ttl");
}
