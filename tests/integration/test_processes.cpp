// Background processes: started at once, fed stdin later, followed, signalled, waited for.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::Errc;
using hive::test::TestServer;

namespace {

// Everything a process printed, from its logs.
std::string output_of(Client& client, const std::string& id, int pid, bool follow,
                      ExecResult* exit = nullptr) {
  std::string out;
  auto done = client.process_logs(id, pid, follow, [&](const ExecEvent& event) {
    if (event.kind == ExecEvent::Kind::Stdout || event.kind == ExecEvent::Kind::Stderr) {
      out += event.data;
    }
    if (event.kind == ExecEvent::Kind::Exit && exit != nullptr) *exit = event.result;
    return true;
  });
  REQUIRE(done);
  return out;
}

}  // namespace

TEST_CASE("a background process takes stdin later and is waited for", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  ExecRequest request;
  request.command = "while read line; do echo got $line; done; echo bye; exit 4";
  auto started = client.start_process(sb->id, request);
  REQUIRE(started);
  CHECK(started->pid > 1);
  CHECK(started->state == "running");
  REQUIRE(client.write_stdin(sb->id, started->pid, "one\ntwo\n", false));
  REQUIRE(client.write_stdin(sb->id, started->pid, "", true));  // EOF ends the loop
  auto result = client.wait_process(sb->id, started->pid);
  REQUIRE(result);
  CHECK(result->exit_code == 4);
  CHECK(output_of(client, sb->id, started->pid, false) == "got one\ngot two\nbye\n");
  auto listed = client.list_processes(sb->id);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].state == "exited");
  CHECK((*listed)[0].exit_code == 4);
  // Its stdin is closed now: more is refused, not lost silently.
  auto more = client.write_stdin(sb->id, started->pid, "three\n", false);
  REQUIRE_FALSE(more);
  CHECK(more.error().code == Errc::conflict);
}

TEST_CASE("following a background process's logs streams until it exits", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  ExecRequest request;
  request.command = "echo early; for i in 1 2 3; do echo $i; sleep 0.3; done; echo late >&2";
  auto started = client.start_process(sb->id, request);
  REQUIRE(started);
  ExecResult exit;
  exit.exit_code = -1;
  CHECK(output_of(client, sb->id, started->pid, true, &exit) == "early\n1\n2\n3\nlate\n");
  CHECK(exit.exit_code == 0);
}

TEST_CASE("a background process is signalled by name, and bad names are refused", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  ExecRequest request;
  request.argv = {"sleep", "100"};
  auto started = client.start_process(sb->id, request);
  REQUIRE(started);
  auto bogus = client.signal_process(sb->id, started->pid, "BOGUS");
  REQUIRE_FALSE(bogus);
  CHECK(bogus.error().code == Errc::invalid_argument);
  REQUIRE(client.signal_process(sb->id, started->pid, "TERM"));
  auto result = client.wait_process(sb->id, started->pid);
  REQUIRE(result);
  CHECK(result->signal == 15);
  CHECK(result->exit_code == 143);
  auto unknown = client.signal_process(sb->id, 99999, "KILL");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::not_found);
  ExecRequest missing;
  missing.argv = {"no-such-program"};
  auto not_started = client.start_process(sb->id, missing);
  REQUIRE_FALSE(not_started);
  CHECK_THAT(not_started.error().message, Catch::Contains("no-such-program"));
}

TEST_CASE("hivectl exec -d, ps, logs -f and kill", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  auto detached = server.hivectl({"exec", "-d", sb->id, "--", "sh", "-c", "echo hi; sleep 100"});
  REQUIRE(detached.exit_code == 0);
  const std::string pid = hive::test::trim(detached.out);
  REQUIRE(!pid.empty());
  auto ps = server.hivectl({"ps", sb->id});
  CHECK(ps.exit_code == 0);
  CHECK_THAT(ps.out, Catch::StartsWith("PID"));
  CHECK_THAT(ps.out, Catch::Contains(pid + " "));
  CHECK_THAT(ps.out, Catch::Contains("running"));
  CHECK_THAT(ps.out, Catch::Contains("sh -c echo hi; sleep 100"));
  CHECK(hive::test::trim(server.hivectl({"ps", sb->id, "-o", "name"}).out) == pid);
  REQUIRE(server.hivectl({"kill", "-s", "KILL", sb->id, pid}).exit_code == 0);
  auto followed = server.hivectl({"logs", "-f", sb->id, pid});
  CHECK(followed.out == "hi\n");
  CHECK(followed.exit_code == 137);  // as the process ended: killed by signal 9
  auto gone = server.hivectl({"logs", sb->id, "4242"});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, Catch::Contains("4242"));
}
