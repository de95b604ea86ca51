// A SandboxService over the fakes (an in-memory store, a runtime of maps, a hand-moved
// clock), for tests of its reap, claim, adopt and refill logic without sandboxes.
#pragma once

#include <memory>
#include <optional>

#include "fake_clock.hpp"
#include "fake_runtime.hpp"
#include "memory_store.hpp"
#include "service/sandbox_service.hpp"

namespace hive::test {

struct ServiceFixture {
  FakeClock clock;
  MemoryStore store;
  FakeRuntime runtime;
  server::ServiceOptions options;
  std::unique_ptr<server::SandboxService> service;

  explicit ServiceFixture(std::size_t pool_size = 0) {
    options.default_ttl_seconds = 3600;
    options.default_idle_timeout_seconds = 3600;
    options.tombstone_seconds = 600;
    options.warm_pool_size = pool_size;
    options.clock = clock.source();
    service = std::make_unique<server::SandboxService>(store, runtime, options);
  }
  // A server restart: a new service over the same store and runtime, adopting what they hold.
  void restart() {
    service = std::make_unique<server::SandboxService>(store, runtime, options);
    service->adopt_all();
  }
  // One pass of the reaper at the fake clock's time; how many it reaped.
  int reap() { return service->reap_due(clock.now()); }
  // What `hivectl get` shows: the state, or nullopt for "not found".
  std::optional<sandbox::State> state_of(const std::string& id) {
    auto sb = service->get(id);
    if (!sb) return std::nullopt;
    return sb->state;
  }
  std::string reason_of(const std::string& id) {
    auto sb = service->get(id);
    return sb ? sb->reason : "(not found)";
  }
  std::size_t listed() {
    auto all = service->list(std::nullopt);
    return all ? all->size() : 0;
  }
};

}  // namespace hive::test
