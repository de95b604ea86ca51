// Streamed exec through the gateway: events as the command prints, bytes intact, caps, and a
// client that hangs up ends its command.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "hive/sandbox/codec.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
using Clock = std::chrono::steady_clock;

namespace {

struct Seen {
  std::string out, err;
  std::vector<double> out_at;  // seconds since the call, per stdout event
  int pid = 0;
};

hive::Result<ExecResult> stream(Client& client, const std::string& id, ExecRequest request,
                                Seen& seen) {
  auto started = Clock::now();
  return client.exec_stream(id, request, [&](const ExecEvent& event) {
    std::chrono::duration<double> at = Clock::now() - started;
    if (event.kind == ExecEvent::Kind::Start) seen.pid = event.pid;
    if (event.kind == ExecEvent::Kind::Stdout) {
      seen.out += event.data;
      seen.out_at.push_back(at.count());
    }
    if (event.kind == ExecEvent::Kind::Stderr) seen.err += event.data;
    return true;
  });
}

}  // namespace

TEST_CASE("exec streams each line as it is printed", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  Seen seen;
  auto started = Clock::now();
  ExecRequest request;
  request.command = "for i in 1 2 3; do echo $i; sleep 1; done; echo done >&2; exit 3";
  auto result = stream(client, sb->id, request, seen);
  std::chrono::duration<double> total = Clock::now() - started;
  REQUIRE(result);
  CHECK(result->exit_code == 3);
  CHECK(seen.pid > 1);
  CHECK(seen.out == "1\n2\n3\n");
  CHECK(seen.err == "done\n");
  CHECK(result->stdout_data.empty());  // the output went to the events
  REQUIRE(seen.out_at.size() == 3);
  // The first line arrived while the command still had two seconds to run.
  CHECK(seen.out_at[0] < total.count() - 1.5);
}

TEST_CASE("streamed output keeps bytes and characters whole", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  Seen seen;
  ExecRequest binary;
  binary.argv = {"printf", "\\377\\000\\376"};
  REQUIRE(stream(client, sb->id, binary, seen));
  CHECK(seen.out == std::string("\xff\x00\xfe", 3));

  // 270,000 two-byte characters cross many 64 KiB pipe reads; none may be cut in half, so
  // every event travels as text, never base64.
  auto raw = hive::test::run(
      {"/usr/bin/curl", "-sN", "-H", "Authorization: Bearer " + server.token(), "-H",
       "Accept: application/x-ndjson", "-d", R"({"command":"yes ééééééééé | head -n 30000"})",
       server.url() + "/v1/sandboxes/" + sb->id + "/exec"});
  CHECK(raw.out.find("\"data_b64\"") == std::string::npos);
  CHECK(raw.out.find("\"type\":\"exit\"") != std::string::npos);
  Seen text;
  ExecRequest accents;
  accents.command = "yes ééééééééé | head -n 30000";
  REQUIRE(stream(client, sb->id, accents, text));
  CHECK(text.out.size() == 570000);
  CHECK(is_valid_utf8(text.out));
}

TEST_CASE("streamed output stops at its cap and says so", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  Seen seen;
  ExecRequest request;
  request.command = "head -c 100000 /dev/zero | tr '\\0' x";
  request.max_output_bytes = 1000;
  auto result = stream(client, sb->id, request, seen);
  REQUIRE(result);
  CHECK(result->truncated);
  CHECK(result->exit_code == 0);
  CHECK(seen.out == std::string(1000, 'x'));
}

TEST_CASE("a client that hangs up ends its streamed command", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  ExecRequest request;
  request.command = "echo started; sleep 30";
  auto hung_up = client.exec_stream(sb->id, request, [](const ExecEvent& event) {
    return event.kind != ExecEvent::Kind::Stdout;  // hang up at the first line
  });
  REQUIRE_FALSE(hung_up);
  std::string left = "?";
  for (int i = 0; i < 50 && !left.empty(); ++i) {
    left =
        hive::test::trim(hive::test::run_in(client, sb->id, "pgrep -x sleep || true").stdout_data);
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(left.empty());
}

TEST_CASE("a bad exec request is refused with the field named, streamed or not", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  for (std::string accept : {"application/json", "application/x-ndjson"}) {
    auto out =
        hive::test::run({"/usr/bin/curl", "-s", "-w", " %{http_code}", "-H",
                         "Authorization: Bearer " + server.token(), "-H", "Accept: " + accept, "-d",
                         R"({"argv":"ls"})", server.url() + "/v1/sandboxes/" + sb->id + "/exec"});
    CHECK_THAT(out.out, Catch::EndsWith(" 400"));
    CHECK_THAT(out.out, Catch::Contains("argv"));
  }
  // The gateway still serves the sandbox afterwards.
  CHECK(hive::test::run_in(client, sb->id, "echo ok").stdout_data == "ok\n");
}

TEST_CASE("every proxied call leaves one log line with its status", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  REQUIRE(hive::test::run_in(client, sb->id, "true").exit_code == 0);
  ExecRequest request;
  request.argv = {"true"};
  REQUIRE_FALSE(client.exec("sb-nope", request));
  // The line is written once the answer is out: give the server a moment to write it.
  std::string log;
  for (int i = 0; i < 50 && log.find("sb-nope/exec") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = hive::test::slurp(server.state_dir() + "/server.log");
  }
  CHECK_THAT(log, Catch::Contains("POST /v1/sandboxes/" + sb->id + "/exec 200 "));
  CHECK_THAT(log, Catch::Contains("POST /v1/sandboxes/sb-nope/exec 404 "));
}

TEST_CASE("a command that cannot start reads the same waited or streamed: 127, 126, the step",
          "[integration][exec]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  REQUIRE(hive::test::run_in(client, sb->id, "echo 'echo hi' > /workspace/plain.sh").exit_code ==
          0);
  struct Case {
    std::vector<std::string> argv;
    std::string cwd;
    int exit_code;
    std::string error;
  };
  const std::vector<Case> cases{
      {{"no-such-command"}, "", 127, "exec 'no-such-command': No such file or directory"},
      {{"true"}, "/nope", 126, "chdir '/nope': No such file or directory"},
      {{"true"}, "/workspace/plain.sh", 126, "chdir '/workspace/plain.sh': Not a directory"},
      {{"/workspace/plain.sh"}, "", 126, "exec '/workspace/plain.sh': Permission denied"}};
  for (const auto& c : cases) {
    INFO(c.error);
    ExecRequest request;
    request.argv = c.argv;
    request.cwd = c.cwd;
    auto waited = client.exec(sb->id, request);
    REQUIRE(waited);
    CHECK(waited->exit_code == c.exit_code);
    CHECK(waited->error == c.error);
    Seen seen;
    auto streamed = stream(client, sb->id, request, seen);
    REQUIRE(streamed);
    CHECK(streamed->exit_code == c.exit_code);
    CHECK(streamed->error == c.error);
  }
  // Found on PATH but not executable: the shell's 126, not "not found".
  ExecRequest on_path;
  on_path.argv = {"plain.sh"};
  on_path.env = {{"PATH", "/workspace"}};
  auto refused = client.exec(sb->id, on_path);
  REQUIRE(refused);
  CHECK(refused->exit_code == 126);
  CHECK(refused->error == "exec 'plain.sh': Permission denied");
}
