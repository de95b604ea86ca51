// The reaper fails a sandbox only on evidence that its agent is gone, and retries a teardown
// that failed until the sandbox is down; the local runtime's liveness check tells "gone" from
// "could not look" (no root needed: processes of the test's own).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "fake_runtime.hpp"
#include "process.hpp"
#include "runtime/local/process_liveness.hpp"
#include "service/sandbox_service.hpp"
#include "store/store.hpp"

using namespace hive::server;
using hive::sandbox::State;
using hive::server::Liveness;
using std::chrono::seconds;

namespace {

std::string start_time_of(int pid) {
  std::string text = hive::test::slurp("/proc/" + std::to_string(pid) + "/stat");
  std::string state, started;
  REQUIRE(hive::server::local::parse_proc_stat(text, state, started));
  return started;
}

struct Fixture {
  hive::test::TempDir dir;
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.path() + "/hive.db").value();
  hive::test::FakeRuntime runtime;
  SandboxService service{*store, runtime, ServiceOptions{3600, 3600, 3600, 0, {}}};

  std::string spawn(std::int64_t ttl = 0) {
    hive::sandbox::SandboxSpec spec;
    spec.ttl_seconds = ttl;
    auto sb = service.spawn(spec);
    REQUIRE(sb);
    return sb->id;
  }
  // Enough passes for the reaper to have checked every agent (every 8th pass) twice.
  void reap_passes(std::chrono::system_clock::time_point now) {
    for (int i = 0; i < 16; ++i) service.reap_due(now);
  }
};

}  // namespace

TEST_CASE("a live process is alive, a dead, zombie or reused one gone", "[unit]") {
  CHECK(hive::server::local::process_liveness(getpid(), start_time_of(getpid())) ==
        Liveness::alive);
  CHECK(hive::server::local::process_liveness(getpid(), "1") == Liveness::gone);  // pid reused
  CHECK(hive::server::local::process_liveness(0, "") == Liveness::gone);
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  const std::string started = start_time_of(child);  // may already be a zombie: same fields
  for (int i = 0;
       i < 100 && hive::server::local::process_liveness(child, started) != Liveness::gone; ++i) {
    usleep(10'000);
  }
  CHECK(hive::server::local::process_liveness(child, started) == Liveness::gone);  // a zombie
  waitpid(child, nullptr, 0);
  CHECK(hive::server::local::process_liveness(child, started) == Liveness::gone);  // reaped
}

TEST_CASE("out of descriptors, whether a process lives is unknown, not gone", "[unit]") {
  const std::string started = start_time_of(getpid());
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit none = saved;
  none.rlim_cur = 0;  // every open() fails with EMFILE
  REQUIRE(setrlimit(RLIMIT_NOFILE, &none) == 0);
  Liveness seen = hive::server::local::process_liveness(getpid(), started);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(seen == Liveness::unknown);
}

TEST_CASE("/proc/PID/stat is read from after the command name", "[unit]") {
  std::string state, started;
  std::string text = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 0\n";
  REQUIRE(hive::server::local::parse_proc_stat(text, state, started));
  CHECK(state == "S");
  CHECK(started == "12345");
  CHECK_FALSE(hive::server::local::parse_proc_stat("42 (x) S 1 2", state, started));
  CHECK_FALSE(hive::server::local::parse_proc_stat("", state, started));
}

TEST_CASE("the reaper leaves a sandbox alone while its agent's liveness is unknown", "[unit]") {
  Fixture f;
  auto id = f.spawn();
  auto now = std::chrono::system_clock::now();
  f.runtime.set_liveness(id, Liveness::unknown);
  f.reap_passes(now);
  CHECK(f.service.get(id)->state == State::Running);
  CHECK(f.runtime.stops() == 0);
  f.runtime.set_liveness(id, Liveness::gone);
  f.reap_passes(now);
  auto ended = f.service.get(id);
  CHECK(ended->state == State::Failed);
  CHECK(ended->reason == "agent-exit");
  CHECK(f.runtime.stops() == 1);
}

TEST_CASE("a TTL teardown waits for a tick that can tell whether the agent lives", "[unit]") {
  Fixture f;
  auto id = f.spawn(60);
  auto later = std::chrono::system_clock::now() + seconds(120);
  f.runtime.set_liveness(id, Liveness::unknown);
  f.reap_passes(later);
  CHECK(f.service.get(id)->state == State::Running);
  f.runtime.set_liveness(id, Liveness::alive);
  f.service.reap_due(later);
  CHECK(f.service.get(id)->state == State::Terminated);
  CHECK(f.service.get(id)->reason == "ttl");
}

TEST_CASE("a failed teardown is retried with back-off until the sandbox is gone", "[unit]") {
  Fixture f;
  SECTION("after a deprovision: then the record goes") {
    auto id = f.spawn();
    f.runtime.fail_stops(2);
    auto now = std::chrono::system_clock::now();
    CHECK_FALSE(f.service.deprovision(id));
    auto failed = f.service.get(id);
    REQUIRE(failed);
    CHECK(failed->state == State::Failed);
    CHECK(failed->reason == "teardown-failed");
    f.service.reap_due(now);  // not due yet: the first retry waits a second
    CHECK(f.runtime.stops() == 1);
    f.service.reap_due(now + seconds(2));  // the second attempt fails: next in 2 s more
    CHECK(f.runtime.stops() == 2);
    f.service.reap_due(now + seconds(3));
    CHECK(f.runtime.stops() == 2);
    f.service.reap_due(now + seconds(5));  // the third succeeds
    CHECK(f.runtime.stops() == 3);
    CHECK(f.service.get(id).error().code == hive::Errc::not_found);
  }
  SECTION("after the reaper's teardown: then a tombstone with the reaper's reason") {
    auto id = f.spawn(1);
    f.runtime.fail_stops(1);
    auto now = std::chrono::system_clock::now() + seconds(5);
    f.service.reap_due(now);
    CHECK(f.service.get(id)->reason == "teardown-failed");
    f.runtime.set_liveness(id, Liveness::unknown);  // no retry while it cannot be told
    f.service.reap_due(now + seconds(60));
    CHECK(f.runtime.stops() == 1);
    f.runtime.set_liveness(id, Liveness::alive);
    f.service.reap_due(now + seconds(60));
    CHECK(f.runtime.stops() == 2);
    auto ended = f.service.get(id);
    CHECK(ended->state == State::Terminated);
    CHECK(ended->reason == "ttl");
    f.service.reap_due(now + seconds(60 + 3599));  // a tombstone for tombstone_seconds
    CHECK(f.service.get(id));
    f.service.reap_due(now + seconds(60 + 3601));
    CHECK_FALSE(f.service.get(id));
  }
}
