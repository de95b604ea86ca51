// SandboxService's reaper and its adoption of what a restarted server finds, driven over the
// fakes with a hand-moved clock: what `hivectl get` and `list` show after each step.
#include <catch2/catch.hpp>

#include "service_fixture.hpp"

using hive::Errc;
using hive::sandbox::SandboxSpec;
using hive::sandbox::State;
using hive::server::Liveness;
using hive::test::ServiceFixture;
using std::chrono::seconds;

namespace {

std::string spawn(ServiceFixture& f, std::int64_t ttl, std::int64_t idle = 0) {
  SandboxSpec spec;
  spec.ttl_seconds = ttl;
  spec.idle_timeout_seconds = idle;
  auto sb = f.service->spawn(spec);
  REQUIRE(sb);
  REQUIRE(sb->state == State::Running);
  return sb->id;
}

}  // namespace

TEST_CASE("a sandbox past its TTL is reaped, kept as a tombstone, then forgotten",
          "[unit][service][reap]") {
  ServiceFixture f;
  const auto id = spawn(f, 60);
  f.clock.advance(seconds(59));
  CHECK(f.reap() == 0);
  CHECK(f.state_of(id) == State::Running);

  f.clock.advance(seconds(2));
  CHECK(f.reap() == 1);
  CHECK(f.state_of(id) == State::Terminated);
  CHECK(f.reason_of(id) == "ttl");
  CHECK_FALSE(f.runtime.placed(id));
  CHECK(f.listed() == 1);  // the tombstone is still listed, with its reason
  CHECK(f.service->reaped_by_reason().at("ttl") == 1);

  f.clock.advance(seconds(599));
  f.reap();
  CHECK(f.state_of(id) == State::Terminated);
  f.clock.advance(seconds(2));  // past tombstone_seconds
  f.reap();
  CHECK_FALSE(f.state_of(id));
  CHECK(f.listed() == 0);
}

TEST_CASE("an idle sandbox is reaped; a keepalive or a call in flight keeps it",
          "[unit][service][reap]") {
  ServiceFixture f;
  const auto id = spawn(f, 3600, 30);

  SECTION("a keepalive restarts the idle clock") {
    f.clock.advance(seconds(20));
    REQUIRE(f.service->keepalive(id));
    f.clock.advance(seconds(20));
    CHECK(f.reap() == 0);
    CHECK(f.state_of(id) == State::Running);
    f.clock.advance(seconds(11));
    CHECK(f.reap() == 1);
    CHECK(f.state_of(id) == State::Terminated);
    CHECK(f.reason_of(id) == "idle");
  }
  SECTION("a call in flight is never idleness; its end restarts the clock") {
    auto route = f.service->agent_route(id);
    REQUIRE(route);
    f.clock.advance(seconds(100));
    CHECK(f.reap() == 0);
    route->busy.reset();  // the call ends now
    f.clock.advance(seconds(29));
    CHECK(f.reap() == 0);
    f.clock.advance(seconds(2));
    CHECK(f.reap() == 1);
    CHECK(f.reason_of(id) == "idle");
  }
  SECTION("a TTL ends it even mid-call") {
    auto route = f.service->agent_route(id);
    REQUIRE(route);
    f.clock.advance(seconds(3601));
    CHECK(f.reap() == 1);
    CHECK(f.reason_of(id) == "ttl");
  }
}

TEST_CASE("the reaper fails a sandbox whose agent died, only on evidence",
          "[unit][service][reap]") {
  ServiceFixture f;
  const auto id = spawn(f, 60);
  f.runtime.set_liveness(id, Liveness::unknown);
  f.clock.advance(seconds(61));
  for (int i = 0; i < 8; ++i) f.reap();
  CHECK(f.state_of(id) == State::Running);  // past its TTL, but the runtime cannot tell
  CHECK(f.runtime.placed(id));

  f.runtime.set_liveness(id, Liveness::gone);
  for (int i = 0; i < 8; ++i) f.reap();
  CHECK(f.state_of(id) == State::Terminated);
  CHECK(f.reason_of(id) == "ttl");

  const auto other = spawn(f, 3600);
  f.runtime.set_liveness(other, Liveness::gone);
  for (int i = 0; i < 8; ++i) f.reap();  // agents are checked every 8th pass
  CHECK(f.state_of(other) == State::Failed);
  CHECK(f.reason_of(other) == "agent-exit");
  CHECK_FALSE(f.runtime.placed(other));
}

TEST_CASE("a teardown that failed is retried after its back-off", "[unit][service][reap]") {
  ServiceFixture f;
  const auto id = spawn(f, 3600);
  f.runtime.fail_stops(1);
  auto ended = f.service->deprovision(id);
  REQUIRE_FALSE(ended);
  CHECK_THAT(ended.error().message, Catch::Contains("while deprovisioning " + id));
  CHECK(f.state_of(id) == State::Failed);
  CHECK(f.reason_of(id) == "teardown-failed");

  f.reap();  // within the first second's back-off: not tried again yet
  CHECK(f.runtime.placed(id));
  f.clock.advance(seconds(2));
  f.reap();
  CHECK_FALSE(f.runtime.placed(id));
  CHECK_FALSE(f.state_of(id));  // a deprovision's record goes once the sandbox is down
}

TEST_CASE("a restarted server adopts live sandboxes, fails dead ones, keeps unknown ones",
          "[unit][service][adopt]") {
  ServiceFixture f;
  const auto alive = spawn(f, 3600);
  const auto dead = spawn(f, 3600);
  const auto unsure = spawn(f, 3600);
  f.runtime.set_liveness(dead, Liveness::gone);
  f.runtime.set_liveness(unsure, Liveness::unknown);
  f.runtime.place_orphan("sb-orphan01");
  hive::server::Record cut_off;  // a spawn the crash cut off between its insert and its start
  cut_off.sandbox.id = "sb-cutoff01";
  cut_off.sandbox.state = State::Starting;
  REQUIRE(f.store.insert(cut_off));

  f.restart();
  CHECK(f.state_of(alive) == State::Running);
  CHECK(f.runtime.placed(alive));
  CHECK(f.state_of(dead) == State::Failed);
  CHECK(f.reason_of(dead) == "agent-exit");
  CHECK_FALSE(f.runtime.placed(dead));  // its leftovers torn down
  CHECK(f.state_of(unsure) == State::Running);
  CHECK(f.runtime.placed(unsure));
  CHECK_FALSE(f.runtime.placed("sb-orphan01"));
  CHECK_FALSE(f.state_of("sb-cutoff01"));
  CHECK(f.listed() == 3);

  // The adopted sandbox's idle clock restarted with the server; its TTL did not.
  f.clock.advance(seconds(3601));
  f.reap();
  CHECK(f.reason_of(alive) == "ttl");
}

TEST_CASE("a spawn on a full disk is refused with the reason", "[unit][service]") {
  ServiceFixture f;
  f.store.set_full(true);
  auto sb = f.service->spawn(SandboxSpec{});
  REQUIRE_FALSE(sb);
  CHECK(sb.error().code == Errc::unavailable);
  CHECK_THAT(sb.error().message, Catch::Contains("cannot spawn") && Catch::Contains("full"));
  CHECK(f.runtime.starts() == 0);
}
