// The examples run as a user would run them, against a real server: the CI job script (a
// passing and a failing project, and nothing left behind either way), the MCP session from
// a shell script, and the C++ fan-out of 100 rollouts.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "process.hpp"

using hive::test::TestServer;

namespace {

const std::string kExamples = std::string(HIVE_SOURCE_DIR) + "/examples";

std::vector<std::string> user_env(const TestServer& server, const std::string& results_dir) {
  return {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token(),
          "PATH=" + std::string(HIVE_BIN_DIR) + ":" + std::getenv("PATH"),
          "RESULTS_DIR=" + results_dir};
}

}  // namespace

TEST_CASE("examples/ci.sh runs a project's tests in a sandbox and cleans up", "[integration]") {
  TestServer server;
  hive::test::TempDir dir;
  const auto env = user_env(server, dir.path());
  auto passed = hive::test::run({kExamples + "/ci.sh"}, "", env);
  INFO(passed.out << passed.err);
  CHECK(passed.exit_code == 0);
  CHECK_THAT(passed.out, Catch::Contains("4 passed, 0 failed"));
  CHECK_THAT(hive::test::slurp(dir.path() + "/results.txt"), Catch::Contains("4 passed"));

  // A project whose test fails: the job fails with it, and the sandbox is gone all the same.
  const std::string broken = dir.path() + "/broken";
  std::filesystem::copy(kExamples + "/ci-project", broken);
  hive::test::run({"/bin/sed", "-i", "s/++words/words += 2/", broken + "/wordcount.c"});
  auto failed = hive::test::run({kExamples + "/ci.sh", broken}, "", env);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.out, Catch::Contains("FAIL: 'one' gave 2, want 1"));
  auto left = server.client().list({.selector = "job=ci"});
  REQUIRE(left);
  for (const auto& sb : *left) CHECK(sb.state == hive::sandbox::State::Terminated);
}

TEST_CASE("examples/mcp-session.sh speaks MCP from a shell script", "[integration]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  hive::test::TempDir dir;
  auto run = hive::test::run({kExamples + "/mcp-session.sh", sb->id, "echo from a script"}, "",
                             user_env(server, dir.path()));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("  run_command\n"));
  CHECK_THAT(run.out, Catch::EndsWith("from a script\n"));
}

TEST_CASE("the fan-out example runs 100 rollouts in parallel and leaves nothing", "[integration]") {
  TestServer server;
  hive::test::TempDir dir;
  auto run =
      hive::test::run({hive::test::bin("hive-fanout"), "--rollouts", "100", "--parallel", "16"}, "",
                      user_env(server, dir.path()));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("100 rollouts, 0 failed"));
  auto running = server.client().list({.state = hive::sandbox::State::Running});
  REQUIRE(running);
  CHECK(running->empty());
}
