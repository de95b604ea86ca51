// Limits on what a client sends: each answered with a status and a message, never a crash or a
// hang, and the server serves on.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"

using hive::test::TestServer;
using hive::test::trim;

namespace {

std::string curl(std::vector<std::string> args, const std::string& input = "") {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hive::test::run(argv, input).out;
}

// Sends raw bytes on one connection and returns what came back within `seconds`.
std::string raw_http(const TestServer& server, const std::string& bytes, int seconds) {
  auto port = server.url().substr(server.url().rfind(':') + 1);
  auto script = "exec 3<>/dev/tcp/127.0.0.1/" + port + "; printf '%s' \"$REQ\" >&3; timeout " +
                std::to_string(seconds) + " cat <&3";
  return hive::test::run({"/bin/bash", "-c", script}, "", {"REQ=" + bytes}).out;
}

}  // namespace

TEST_CASE("oversized headers, deep JSON and slow bodies are refused", "[integration][limits]") {
  TestServer server({"--request-timeout", "1"});
  const std::string auth = "Authorization: Bearer " + server.token();
  const std::string sandboxes = server.url() + "/v1/sandboxes";

  auto big_header = curl({"-H", auth, "-H", "X-Filler: " + std::string(20 << 10, 'a'), sandboxes});
  CHECK_THAT(big_header, Catch::EndsWith(" 431"));

  std::string deep(100000, '[');
  auto nested =
      curl({"-H", auth, "--data-binary", "@-", sandboxes}, deep + std::string(100000, ']'));
  CHECK_THAT(nested, Catch::EndsWith(" 400"));
  CHECK_THAT(nested, Catch::Contains("nests deeper than"));

  // A number past double's range once killed the server (found by fuzz_mcp_message); the same
  // body sent on to an agent must not kill the agent either.
  auto huge_number = curl({"-H", auth, "-d", R"({"ttl_seconds": 1e99999})", sandboxes});
  CHECK_THAT(huge_number, Catch::EndsWith(" 400"));
  CHECK_THAT(huge_number, Catch::Contains("number overflow"));
  auto id = trim(server.hivectl({"spawn"}).out);
  auto to_agent = curl({"-H", auth, "-d", R"({"argv": ["true"], "timeout_seconds": -1e99999})",
                        sandboxes + "/" + id + "/exec"});
  CHECK_THAT(to_agent, Catch::EndsWith(" 400"));
  CHECK(server.hivectl({"exec", id, "--", "echo", "alive"}).out == "alive\n");

  // A body that is not UTF-8: nlohmann's parse error quotes the bad bytes, and writing that
  // message as JSON threw and ended the server (found by schemathesis). Now U+FFFD stands in.
  const std::string not_utf8 = "{\"name\": \"\xf0\"}";
  for (const auto& path : {sandboxes, server.url() + "/spawn", sandboxes + "/" + id + "/exec"}) {
    auto bad_bytes = curl({"-H", auth, "--data-binary", "@-", path}, not_utf8);
    CHECK_THAT(bad_bytes, Catch::EndsWith(" 400"));
    CHECK_THAT(bad_bytes, Catch::Contains("malformed JSON"));
  }
  CHECK(server.hivectl({"exec", id, "--", "echo", "alive"}).out == "alive\n");

  // Ten bytes promised, two sent: told so after --request-timeout, not held forever.
  auto slow = raw_http(
      server,
      "POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\n" + auth + "\r\nContent-Length: 10\r\n\r\nab", 5);
  CHECK_THAT(slow, Catch::StartsWith("HTTP/1.1 408"));
  CHECK_THAT(slow, Catch::Contains("--request-timeout"));
  auto half_header = raw_http(server, "GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\n", 5);
  CHECK_THAT(half_header, Catch::StartsWith("HTTP/1.1 408"));

  CHECK_THAT(curl({"-H", auth, sandboxes}), Catch::EndsWith(" 200"));
}

TEST_CASE("a token's concurrent streams are bounded; another token's are not touched",
          "[integration][limits]") {
  TestServer server({"--max-streams-per-token", "2"});
  auto spawned = nlohmann::json::parse(server.hivectl({"spawn", "-o", "json"}).out);
  const std::string id = spawned["id"], sandbox_token = spawned["token"];
  std::vector<std::thread> long_calls;
  for (int i = 0; i < 2; ++i) {
    long_calls.emplace_back([&] { server.hivectl({"exec", id, "--", "sleep", "3"}); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto third = server.hivectl({"exec", id, "--", "true"});
  CHECK(third.exit_code != 0);
  CHECK_THAT(third.err, Catch::Contains("2 streams open already"));
  auto other_token = server.hivectl({"--token", sandbox_token, "exec", id, "--", "echo", "ok"});
  CHECK(other_token.out == "ok\n");
  CHECK(server.hivectl({"list"}).exit_code == 0);  // plain calls are not streams
  for (auto& call : long_calls) call.join();
  CHECK(server.hivectl({"exec", id, "--", "echo", "again"}).out == "again\n");
}
