// libsandbox against a real server: the API an RL trainer programs against.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::Errc;
using hive::test::TestServer;

TEST_CASE("libsandbox spawns, execs and deprovisions", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec spec;
  spec.env = {{"GREETING", "hello"}};
  spec.labels = {{"run", "7"}};
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  CHECK(sb->state == State::Running);
  CHECK(!sb->ready_at.empty());
  CHECK(sb->spec.labels.at("run") == "7");
  CHECK(sb->spec.ttl_seconds == 3600);  // the server's default filled in

  ExecRequest echo;
  echo.command = "echo $GREETING $EXTRA; pwd";
  echo.env = {{"EXTRA", "world"}};
  echo.cwd = "/tmp";
  auto out = client.exec(sb->id, echo);
  REQUIRE(out);
  CHECK(out->exit_code == 0);
  CHECK(out->stdout_data == "hello world\n/tmp\n");

  ExecRequest binary;
  binary.argv = {"cat"};
  binary.stdin_data = std::string("\x00\xff\xfe\n", 4);
  auto bytes = client.exec(sb->id, binary);
  REQUIRE(bytes);
  CHECK(bytes->stdout_data == binary.stdin_data);

  ExecRequest capped;
  capped.command = "head -c 100000 /dev/zero";
  capped.max_output_bytes = 1000;
  auto cut = client.exec(sb->id, capped);
  REQUIRE(cut);
  CHECK(cut->stdout_data.size() == 1000);
  CHECK(cut->truncated);

  ExecRequest slow;
  slow.argv = {"sleep", "30"};
  slow.timeout_seconds = 0.3;
  auto timed = client.exec(sb->id, slow);
  REQUIRE(timed);
  CHECK(timed->timed_out);
  CHECK(timed->signal == 9);

  auto listed = client.list();
  REQUIRE(listed);
  CHECK(listed->size() == 1);
  auto ended = client.deprovision(sb->id);
  REQUIRE(ended);
  CHECK(ended->state == State::Terminated);
  auto again = client.get(sb->id);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::not_found);
}

TEST_CASE("libsandbox turns server refusals into typed errors", "[integration]") {
  TestServer server;
  auto client = server.client();
  SandboxSpec named;
  named.name = "only-one";
  REQUIRE(client.spawn(named));
  auto clash = client.spawn(named);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == Errc::conflict);

  Client no_token({server.url(), ""});
  auto denied = no_token.list();
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == Errc::unauthorized);

  Client nowhere({"http://127.0.0.1:1", "x"});
  auto unreachable = nowhere.list();
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().code == Errc::transport);
}

TEST_CASE("sandboxes survive a server crash and are re-adopted", "[integration]") {
  TestServer server;
  auto alive = server.client().spawn({});
  auto doomed = server.client().spawn({});
  REQUIRE(alive);
  REQUIRE(doomed);
  server.kill9();
  // While the server is down, one sandbox's agent dies.
  auto agent = hive::test::agent_pid(doomed->id);
  REQUIRE(!agent.empty());
  hive::test::run({"/bin/kill", "-9", agent});
  // Dead means exited: a pid namespace's init takes a moment to take its namespace down.
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + agent + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (text.empty() || text.find(") Z ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server.start();

  auto client = server.client();
  auto kept = client.get(alive->id);
  REQUIRE(kept);
  CHECK(kept->state == State::Running);
  ExecRequest request;
  request.argv = {"echo", "still here"};
  auto out = client.exec(alive->id, request);
  REQUIRE(out);
  CHECK(out->stdout_data == "still here\n");

  auto failed = client.get(doomed->id);
  REQUIRE(failed);
  CHECK(failed->state == State::Failed);
  CHECK(failed->reason == "agent-exit");
  auto refused = client.exec(doomed->id, request);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::conflict);
}

TEST_CASE("the hello-sandbox example runs against a real server", "[integration]") {
  TestServer server;
  auto out = hive::test::run({hive::test::bin("hello-sandbox")}, "",
                             {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token()});
  CHECK(out.exit_code == 0);
  CHECK_THAT(out.out, Catch::StartsWith("hello from sb-"));
  auto left = server.client().list();
  REQUIRE(left);
  CHECK(left->empty());
}
