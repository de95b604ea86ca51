// What an operator watches: /metrics, one log line per request, /readyz.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "process.hpp"

using hive::test::TestServer;
using hive::test::trim;

namespace {

std::string curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hive::test::run(argv).out;
}

std::string metrics(const TestServer& server) {
  return curl({"-H", "Authorization: Bearer " + server.token(), server.url() + "/metrics"});
}

}  // namespace

TEST_CASE("/metrics counts by state, latency and error kind, never by sandbox",
          "[integration][metrics]") {
  TestServer server({"--log-format", "json"});
  CHECK_THAT(curl({server.url() + "/metrics"}), Catch::EndsWith(" 401"));

  auto id = trim(server.hivectl({"spawn"}).out);
  auto short_lived = trim(server.hivectl({"spawn", "--ttl", "1"}).out);
  REQUIRE(server.hivectl({"exec", id, "--", "true"}).exit_code == 0);
  CHECK(server.hivectl({"get", "sb-nothere"}).exit_code != 0);
  CHECK(server.hivectl({"--token", "wrong-token-0123456789", "list"}).exit_code != 0);

  std::string text;
  for (int i = 0; i < 100; ++i) {  // the reaper runs about once a second
    text = metrics(server);
    if (text.find("hive_reaped_total{reason=\"ttl\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(text);
  CHECK_THAT(text, Catch::EndsWith(" 200"));
  CHECK_THAT(text, Catch::Contains("# TYPE hive_spawn_duration_seconds histogram"));
  CHECK_THAT(text, Catch::Contains("hive_sandboxes{state=\"Running\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("hive_sandboxes{state=\"Terminated\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("hive_reaped_total{reason=\"ttl\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("hive_reaped_total{reason=\"idle\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("hive_spawn_duration_seconds_count 2\n"));
  CHECK_THAT(text, Catch::Contains("hive_spawn_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("hive_exec_duration_seconds_count 1\n"));
  CHECK_THAT(text, Catch::Contains("hive_errors_total{kind=\"not_found\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("hive_errors_total{kind=\"unauthorized\"}"));
  CHECK(text.find(id) == std::string::npos);
  CHECK(text.find(short_lived) == std::string::npos);

  // One JSON object per line; each request's carries its id, which the response echoes.
  auto echoed = hive::test::run(
      {"/usr/bin/curl", "-s", "-D", "-", "-o", "/dev/null", "-H", "X-Request-Id: trace-42", "-H",
       "Authorization: Bearer " + server.token(), server.url() + "/v1/sandboxes"});
  CHECK_THAT(echoed.out, Catch::Contains("X-Request-Id: trace-42"));
  std::istringstream log(hive::test::slurp(server.state_dir() + "/server.log"));
  int requests = 0;
  bool traced = false;
  for (std::string line; std::getline(log, line);) {
    if (line.empty() || line.front() != '{') continue;  // sanitizer notes, if any
    auto entry = nlohmann::json::parse(line);           // throws (fails) if not JSON
    CHECK(entry.contains("time"));
    if (!entry.contains("request_id")) continue;
    ++requests;
    CHECK(entry["status"].is_number());
    CHECK(entry["duration_ms"].is_number());
    traced = traced || (entry["request_id"] == "trace-42" && entry["path"] == "/v1/sandboxes");
  }
  CHECK(requests >= 6);
  CHECK(traced);
}

TEST_CASE("/readyz says not ready, and why, while the runtime cannot start sandboxes",
          "[integration][metrics]") {
  hive::test::TempDir dir;
  const std::string agent = dir.path() + "/hive-agent";
  REQUIRE(hive::test::run({"/bin/cp", hive::test::bin("hive-agent"), agent}).exit_code == 0);
  TestServer server({"--agent", agent});
  CHECK_THAT(curl({server.url() + "/readyz"}), Catch::EndsWith(" 200"));
  REQUIRE(chmod(agent.c_str(), 0600) == 0);
  auto not_ready = curl({server.url() + "/readyz"});
  CHECK_THAT(not_ready, Catch::EndsWith(" 503"));
  CHECK_THAT(not_ready, Catch::Contains("\"ready\":false"));
  CHECK_THAT(not_ready, Catch::Contains(agent));
  CHECK_THAT(curl({server.url() + "/healthz"}), Catch::EndsWith(" 200"));  // alive, not ready
  REQUIRE(chmod(agent.c_str(), 0755) == 0);
  CHECK_THAT(curl({server.url() + "/readyz"}), Catch::EndsWith(" 200"));
}
