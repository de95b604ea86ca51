// SandboxService's warm pools over the fakes: refills, claims (one at a time, many at once,
// and one another replica wins), and pooled sandboxes after a restart.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "service_fixture.hpp"

using hive::Errc;
using hive::sandbox::SandboxSpec;
using hive::sandbox::State;
using hive::test::ServiceFixture;
using std::chrono::seconds;

namespace {

SandboxSpec named(const std::string& name) {
  SandboxSpec spec;
  spec.name = name;
  return spec;
}

}  // namespace

TEST_CASE("a spawn claims a ready pooled sandbox, and the refiller replaces it",
          "[unit][service][pool]") {
  ServiceFixture f(2);
  f.service->want_pool(SandboxSpec{});
  f.service->refill_pools();
  REQUIRE(f.runtime.starts() == 2);
  CHECK(f.listed() == 0);  // pooled sandboxes are nobody's yet
  for (const auto& id : f.runtime.pooled_starts()) CHECK_FALSE(f.state_of(id));

  f.clock.advance(seconds(10));
  auto sb = f.service->spawn(named("claimed"));
  REQUIRE(sb);
  CHECK(sb->state == State::Running);
  CHECK(f.runtime.pooled_starts().count(sb->id) == 1);
  CHECK(f.runtime.starts() == 2);  // a claim, not a start
  CHECK(f.listed() == 1);
  CHECK(f.service->get("claimed")->id == sb->id);
  // Its clocks start at the claim: the TTL counts from now, not from the pool's start.
  f.clock.advance(seconds(3599));
  f.reap();
  CHECK(f.state_of(sb->id) == State::Running);

  f.service->refill_pools();
  CHECK(f.runtime.starts() == 3);
  f.service->refill_pools();
  CHECK(f.runtime.starts() == 3);  // full again

  f.service->drain_pools();
  CHECK(f.runtime.list_placed() == std::vector<std::string>{sb->id});
}

TEST_CASE("a pool whose sandboxes cannot start is tried again on the next tick",
          "[unit][service][pool]") {
  ServiceFixture f(1);
  f.service->want_pool(SandboxSpec{});
  f.runtime.fail_starts(1);
  f.service->refill_pools();
  CHECK(f.runtime.list_placed().empty());
  f.service->refill_pools();
  CHECK(f.runtime.pooled_starts().size() == 1);
}

TEST_CASE("concurrent spawns claim distinct pooled sandboxes", "[unit][service][pool]") {
  constexpr int kSpawns = 8;
  ServiceFixture f(kSpawns);
  f.service->want_pool(SandboxSpec{});
  f.service->refill_pools();
  REQUIRE(f.runtime.starts() == kSpawns);

  std::vector<std::string> ids(kSpawns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSpawns; ++i) {
    threads.emplace_back([&, i] {
      auto sb = f.service->spawn(named("c" + std::to_string(i)));
      if (sb) ids[i] = sb->id;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  CHECK(distinct.size() == kSpawns);
  CHECK(distinct.count("") == 0);
  CHECK(f.runtime.starts() == kSpawns);  // every one a claim
  CHECK(f.listed() == kSpawns);
}

TEST_CASE("a name already taken leaves the pooled sandbox in its pool", "[unit][service][pool]") {
  ServiceFixture f(1);
  REQUIRE(f.service->spawn(named("x")));  // cold: the pool is wanted from this spawn on
  f.service->refill_pools();
  REQUIRE(f.runtime.starts() == 2);
  auto again = f.service->spawn(named("x"));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);
  // Who holds the name, and how to free it.
  CHECK_THAT(again.error().message, Catch::StartsWith("a sandbox named 'x' already exists (sb-"));
  CHECK_THAT(again.error().message, Catch::EndsWith("'hivectl rm x' frees the name"));
  auto other = f.service->spawn(named("y"));
  REQUIRE(other);
  CHECK(f.runtime.pooled_starts().count(other->id) == 1);
  CHECK(f.runtime.starts() == 2);
}

// Two replicas over one store (the Pod store's case): both pick the one pooled sandbox, the
// second to write loses on the version it read and starts a sandbox of its own.
TEST_CASE("a claim another replica won first is left to it", "[unit][service][pool]") {
  ServiceFixture f(1);
  auto replica_b = std::make_unique<hive::server::SandboxService>(f.store, f.runtime, f.options);
  auto lister = [&f](const std::string& key) {
    std::vector<std::pair<std::string, bool>> pooled;
    auto records = f.store.list();  // held: a loop over list().value() would dangle
    for (const auto& record : *records) {
      if (record.pool == key) pooled.emplace_back(record.sandbox.id, true);
    }
    return pooled;
  };
  f.service->share_pools(lister);
  replica_b->share_pools(lister);
  f.service->want_pool(SandboxSpec{});
  f.service->refill_pools();
  REQUIRE(f.runtime.pooled_starts().size() == 1);
  const std::string pooled = *f.runtime.pooled_starts().begin();

  hive::Result<hive::sandbox::Sandbox> b_got = hive::make_error(Errc::internal, "not run");
  // B claims between A's read of the pooled record and A's write of its claim.
  f.store.before_next_update([&] { b_got = replica_b->spawn(named("b")); });
  auto a_got = f.service->spawn(named("a"));
  REQUIRE(a_got);
  REQUIRE(b_got);
  CHECK(b_got->id == pooled);
  CHECK(a_got->id != pooled);
  CHECK(f.service->get("b")->id == pooled);  // A's claim did not overwrite B's
  CHECK(f.runtime.placed(pooled));           // nor did A tear B's sandbox down
  CHECK(f.runtime.starts() == 2);            // A started its own
}

TEST_CASE("a restarted server puts its pooled sandboxes back in the pool",
          "[unit][service][pool][adopt]") {
  ServiceFixture f(1);
  f.service->want_pool(SandboxSpec{});
  f.service->refill_pools();
  REQUIRE(f.runtime.starts() == 1);

  f.restart();
  CHECK(f.listed() == 0);
  auto sb = f.service->spawn(SandboxSpec{});
  REQUIRE(sb);
  CHECK(f.runtime.pooled_starts().count(sb->id) == 1);
  CHECK(f.runtime.starts() == 1);

  SECTION("without pools, pooled sandboxes found at start are torn down") {
    f.service->refill_pools();
    REQUIRE(f.runtime.starts() == 2);
    f.options.warm_pool_size = 0;
    f.restart();
    CHECK(f.runtime.list_placed() == std::vector<std::string>{sb->id});
  }
}
