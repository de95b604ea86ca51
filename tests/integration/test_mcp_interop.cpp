// Real third-party MCP clients from the npm registry (tests/interop, installed by
// scripts/install-interop.sh) against Hive's gateway: the official TypeScript SDK client, the
// MCP Inspector CLI, and the conformance runner's generic server scenarios.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "hive/sandbox/codec.hpp"
#include "mcp_support.hpp"

using hive::sandbox::Json;
using hive::test::kInteropDir;
using hive::test::TestServer;

namespace {

hive::test::Outcome node(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/node");
  return hive::test::run(args);
}

std::string npm_bin(const std::string& name) { return kInteropDir + "/node_modules/.bin/" + name; }

}  // namespace

TEST_CASE("the TypeScript SDK client lists and calls tools through /mcp",
          "[integration][mcp][interop]") {
  TestServer server;
  const auto id = hive::test::spawn_bridged(server);
  auto run =
      node({kInteropDir + "/sdk_client.mjs", server.url(), server.token(), id, "run_command",
            R"({"command":"echo sdk"})", "run_command", R"({"command":"sleep 1.5"})", "progress",
            "everything_trigger-long-running-operation", R"({"duration":1,"steps":3})", "progress",
            "everything_get-structured-content", R"({"location":"New York"})"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto summary = Json::parse(run.out);
  CHECK(summary["protocolVersion"] == "2025-11-25");
  CHECK(summary["server"]["name"] == "hive-agent");
  CHECK(summary["pages"] == 2);  // 5 built-in + the reference server's tools, 16 a page
  CHECK(summary["tools"][0] == "run_command");
  CHECK(std::count(summary["tools"].begin(), summary["tools"].end(), "everything_echo") == 1);
  const auto& calls = summary["calls"];
  REQUIRE(calls.size() == 4);
  CHECK(calls[0]["result"]["structuredContent"]["stdout"] == "sdk\n");
  CHECK(calls[1]["progress"].size() >= 1);  // run_command ticks once a second
  CHECK(calls[2]["progress"].size() == 3);  // relayed from the bridged server
  CHECK(calls[2]["progress"][2]["total"] == 3);
  CHECK(calls[3]["result"].contains("structuredContent"));  // checked by the SDK's schema
}

TEST_CASE("the MCP Inspector CLI lists and calls tools through /mcp",
          "[integration][mcp][interop]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  const std::vector<std::string> base{npm_bin("mcp-inspector"),
                                      "--cli",
                                      server.url() + "/mcp",
                                      "--transport",
                                      "http",
                                      "--header",
                                      "Authorization: Bearer " + server.token(),
                                      "--header",
                                      "X-Session-ID: " + sb->id};
  auto args = base;
  args.insert(args.end(), {"--method", "tools/list"});
  auto listed = hive::test::run(args);
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  CHECK(Json::parse(listed.out)["tools"][0]["name"] == "run_command");

  args = base;
  args.insert(args.end(), {"--method", "tools/call", "--tool-name", "run_command", "--tool-arg",
                           "command=echo inspected"});
  auto called = hive::test::run(args);
  INFO(called.err);
  REQUIRE(called.exit_code == 0);
  CHECK(Json::parse(called.out)["structuredContent"]["stdout"] == "inspected\n");
}

TEST_CASE("the conformance runner's generic server scenarios pass", "[integration][mcp][interop]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  // The runner cannot send headers: a small relay adds Authorization and X-Session-ID.
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t proxy = fork();
  if (proxy == 0) {
    dup2(out[1], 1);
    execl("/usr/bin/node", "node", (kInteropDir + "/header_proxy.mjs").c_str(),
          server.url().c_str(), server.token().c_str(), sb->id.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  // Stopped however the case ends: a relay left running holds ctest's output pipe open, and
  // ctest then waits for it forever.
  struct StopOnExit {
    pid_t pid;
    ~StopOnExit() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } stop_proxy{proxy};
  std::string url;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') url += c;
  close(out[0]);
  REQUIRE_THAT(url, Catch::StartsWith("http://127.0.0.1:"));
  for (const char* scenario : {"server-initialize", "tools-list", "ping"}) {
    auto run =
        hive::test::run({npm_bin("conformance"), "server", "--url", url, "--scenario", scenario});
    INFO(scenario << "\n" << run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("0 failed"));
  }
}
