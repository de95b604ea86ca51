// hivectl wait against a scripted server: what it asks for, and when it stops asking.
#include <catch2/catch.hpp>

#include <atomic>
#include <deque>

#include "commands/wait.hpp"

using hive::Errc;
using hive::make_error;
using hive::Result;
using hive::cli::await_condition;
using hive::cli::WaitSignals;
using hive::cli::WaitSource;
using hive::sandbox::Sandbox;
using hive::sandbox::State;
using hive::sandbox::WatchEvent;

namespace {

Sandbox sandbox(const std::string& id, State state) {
  Sandbox sb;
  sb.id = id;
  sb.state = state;
  return sb;
}

// Answers gets in turn (the last one again when they run out) and plays one stream of events
// per watch, then ends it as told. Counts the calls.
struct FakeServer {
  std::deque<Result<Sandbox>> gets;
  struct Stream {
    std::vector<WatchEvent> events;
    Result<void> end = {};
  };
  std::deque<Stream> streams;
  int get_calls = 0, watch_calls = 0;
  bool hung_up = false;  // on_event asked to stop

  WaitSource source() {
    return {
        .get = [this](const std::string&) -> Result<Sandbox> {
          ++get_calls;
          Result<Sandbox> answer = gets.front();
          if (gets.size() > 1) gets.pop_front();
          return answer;
        },
        .watch = [this](const std::function<bool(const WatchEvent&)>& on_event) -> Result<void> {
          ++watch_calls;
          REQUIRE(!streams.empty());  // wait watched more often than the test expects
          Stream stream = streams.front();
          streams.pop_front();
          for (const auto& event : stream.events) {
            if (!on_event(event)) {
              hung_up = true;
              return {};
            }
          }
          return stream.end;
        }};
  }
};

Result<void> await(FakeServer& server, const std::string& condition, const std::string& id = "sb-1",
                   WaitSignals* signals = nullptr) {
  WaitSignals own;
  return await_condition(server.source(), id, condition, signals ? *signals : own);
}

}  // namespace

TEST_CASE("wait met at the start asks once and never watches", "[unit]") {
  FakeServer running;
  running.gets = {sandbox("sb-1", State::Running)};
  CHECK(await(running, "state=Running"));
  CHECK(running.get_calls == 1);
  CHECK(running.watch_calls == 0);

  FakeServer ended;  // a tombstone: deleted a while ago
  ended.gets = {sandbox("sb-1", State::Terminated)};
  CHECK(await(ended, "delete"));
  CHECK(ended.watch_calls == 0);
}

TEST_CASE("wait --for=delete on a sandbox the server never knew is not found, not met", "[unit]") {
  FakeServer unknown;
  unknown.gets = {make_error(Errc::not_found, "sandbox 'nosuch' not found")};
  auto never = await(unknown, "delete", "nosuch");
  REQUIRE(!never);
  CHECK(never.error().code == Errc::not_found);
  CHECK(never.error().message == "sandbox \"nosuch\" not found");
  CHECK(unknown.watch_calls == 0);

  FakeServer seen;  // found first, then gone (its tombstone too): deleted
  seen.gets = {sandbox("sb-1", State::Running),
               make_error(Errc::not_found, "sandbox 'sb-1' not found")};
  seen.streams = {{{{"ADDED", sandbox("sb-1", State::Running)}}}};
  CHECK(await(seen, "delete"));
  CHECK(seen.get_calls == 2);
}

TEST_CASE("wait returns at the event that meets the condition, with no more gets", "[unit]") {
  FakeServer server;
  server.gets = {sandbox("sb-1", State::Starting)};
  server.streams = {{{{"ADDED", sandbox("sb-1", State::Starting)},
                      {"ADDED", sandbox("sb-2", State::Running)},  // another sandbox's
                      {"MODIFIED", sandbox("sb-1", State::Running)},
                      {"MODIFIED", sandbox("sb-1", State::Terminating)}}}};
  CHECK(await(server, "state=Running"));
  CHECK(server.get_calls == 1);
  CHECK(server.watch_calls == 1);
  CHECK(server.hung_up);  // at the Running event, before the Terminating one
}

TEST_CASE("wait follows a name to its id and sees it deleted", "[unit]") {
  FakeServer server;
  server.gets = {sandbox("sb-7", State::Running)};
  server.streams = {{{{"ADDED", sandbox("sb-7", State::Running)},
                      {"MODIFIED", sandbox("sb-7", State::Terminating)},
                      {"DELETED", sandbox("sb-7", State::Terminating)}}}};
  CHECK(await(server, "delete", "rollout-1"));
  CHECK(server.get_calls == 1);

  FakeServer terminated;
  terminated.gets = {sandbox("sb-7", State::Running)};
  terminated.streams = {{{{"MODIFIED", sandbox("sb-7", State::Terminated)}}}};
  CHECK(await(terminated, "delete", "rollout-1"));
}

TEST_CASE("wait re-checks with one get when the stream ends, then watches again", "[unit]") {
  FakeServer met_meanwhile;
  met_meanwhile.gets = {sandbox("sb-1", State::Starting), sandbox("sb-1", State::Running)};
  met_meanwhile.streams = {{{{"ADDED", sandbox("sb-1", State::Starting)}}}};
  CHECK(await(met_meanwhile, "state=Running"));
  CHECK(met_meanwhile.get_calls == 2);
  CHECK(met_meanwhile.watch_calls == 1);

  FakeServer broken;  // the connection dropped, the server is still there
  broken.gets = {sandbox("sb-1", State::Starting)};
  broken.streams = {
      {{{"ADDED", sandbox("sb-1", State::Starting)}},
       make_error(Errc::transport, "transfer with hive-server failed: connection reset")},
      {{{"ADDED", sandbox("sb-1", State::Running)}}}};
  WaitSignals signals;
  CHECK(await(broken, "state=Running", "sb-1", &signals));
  CHECK(broken.get_calls == 2);
  CHECK(broken.watch_calls == 2);
  CHECK(signals.streams == 2);
  CHECK(signals.seen_on == 2);  // each stream showed the sandbox: no extra get was needed
}

TEST_CASE("wait fails when the condition can never be met, or the server refuses", "[unit]") {
  FakeServer failed;
  failed.gets = {sandbox("sb-1", State::Starting)};
  Sandbox ended = sandbox("sb-1", State::Failed);
  ended.reason = "oom";
  failed.streams = {{{{"MODIFIED", ended}}}};
  auto never = await(failed, "state=Running");
  REQUIRE(!never);
  CHECK(never.error().code == Errc::conflict);
  CHECK(never.error().message == "sb-1 ended (Failed, oom) and will never be Running");

  FakeServer deleted;  // gone while waited for a state: the get after says so
  deleted.gets = {sandbox("sb-1", State::Starting),
                  make_error(Errc::not_found, "sandbox 'sb-1' not found")};
  deleted.streams = {{{{"DELETED", sandbox("sb-1", State::Starting)}}}};
  auto gone = await(deleted, "state=Running");
  REQUIRE(!gone);
  CHECK(gone.error().code == Errc::not_found);
  CHECK(deleted.get_calls == 2);

  FakeServer refused;
  refused.gets = {sandbox("sb-1", State::Starting)};
  refused.streams = {{{}, make_error(Errc::unauthorized, "invalid token")}};
  auto no = await(refused, "state=Running");
  REQUIRE(!no);
  CHECK(no.error().code == Errc::unauthorized);
  CHECK(refused.watch_calls == 1);

  FakeServer down;  // the stream broke and the get cannot reach the server either
  down.gets = {sandbox("sb-1", State::Starting),
               make_error(Errc::transport, "cannot reach hive-server")};
  down.streams = {{{}, make_error(Errc::transport, "connection reset")}};
  auto unreachable = await(down, "state=Running");
  REQUIRE(!unreachable);
  CHECK(unreachable.error().code == Errc::transport);
}

TEST_CASE("wait told to stop hangs up at the next event", "[unit]") {
  FakeServer server;
  server.gets = {sandbox("sb-1", State::Starting)};
  server.streams = {{{{"ADDED", sandbox("sb-2", State::Running)}}}};
  WaitSignals signals;
  auto source = server.source();
  WaitSource stopping{.get = source.get,
                      .watch = [&](const std::function<bool(const WatchEvent&)>& on_event) {
                        signals.stop = true;  // the deadline passed while the stream was silent
                        return source.watch(on_event);
                      }};
  auto stopped = await_condition(stopping, "sb-1", "state=Running", signals);
  CHECK(!stopped);
  CHECK(server.hung_up);
  CHECK(server.get_calls == 1);
  CHECK(signals.seen_on == 0);  // the stream never showed sb-1: run_wait would have looked
}
