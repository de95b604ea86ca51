#include "fake_runtime.hpp"

namespace hive::test {

using server::Liveness;

Result<server::Placement> FakeRuntime::start(const sandbox::Sandbox& sandbox,
                                             const std::string& pool) {
  std::lock_guard lock(mutex_);
  ++starts_;
  if (failing_starts_ > 0) {
    --failing_starts_;
    return make_error(Errc::unavailable, "fake runtime: no room for " + sandbox.id);
  }
  placed_[sandbox.id] = Liveness::alive;
  if (!pool.empty()) pooled_.insert(sandbox.id);
  server::Placement placement;
  placement.runtime_data = {{"slot", "fake/" + sandbox.id}};
  return placement;
}

Result<void> FakeRuntime::stop(const std::string& id, const nlohmann::json&) {
  std::lock_guard lock(mutex_);
  ++stops_;
  if (failing_stops_ > 0) {
    --failing_stops_;
    return make_error(Errc::internal, "fake runtime: cgroup of " + id + " busy");
  }
  placed_.erase(id);
  return {};
}

server::AgentEndpoint FakeRuntime::endpoint(const std::string&, const nlohmann::json&) const {
  return {};  // no address: a call fails at once, as to an agent that does not answer
}

Liveness FakeRuntime::liveness(const std::string& id, const nlohmann::json&) {
  std::lock_guard lock(mutex_);
  auto it = placed_.find(id);
  return it == placed_.end() ? Liveness::gone : it->second;
}

std::vector<std::string> FakeRuntime::list_placed() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, liveness] : placed_) ids.push_back(id);
  return ids;
}

void FakeRuntime::set_liveness(const std::string& id, Liveness liveness) {
  std::lock_guard lock(mutex_);
  // Gone is an agent that died: its directory and cgroup stay placed until a stop.
  if (auto it = placed_.find(id); it != placed_.end()) it->second = liveness;
}

void FakeRuntime::fail_starts(int n) {
  std::lock_guard lock(mutex_);
  failing_starts_ = n;
}

void FakeRuntime::fail_stops(int n) {
  std::lock_guard lock(mutex_);
  failing_stops_ = n;
}

void FakeRuntime::place_orphan(const std::string& id) {
  std::lock_guard lock(mutex_);
  placed_[id] = Liveness::alive;
}

bool FakeRuntime::placed(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return placed_.count(id) != 0;
}

int FakeRuntime::starts() const {
  std::lock_guard lock(mutex_);
  return starts_;
}

int FakeRuntime::stops() const {
  std::lock_guard lock(mutex_);
  return stops_;
}

std::set<std::string> FakeRuntime::pooled_starts() const {
  std::lock_guard lock(mutex_);
  return pooled_;
}

}  // namespace hive::test
