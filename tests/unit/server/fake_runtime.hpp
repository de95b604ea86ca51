// A Runtime that places sandboxes in a map instead of namespaces or Pods: start, stop,
// liveness and the list of what is placed behave as a real runtime's do, and the test can
// kill an agent, make the runtime unsure, or make starts and stops fail. Its agents do not
// answer (the endpoint leads nowhere), so the service's agent calls fail as against a dead one.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"

namespace hive::test {

class FakeRuntime : public server::Runtime {
 public:
  std::string name() const override { return "fake"; }
  Result<void> check() override { return {}; }
  Result<server::Placement> start(const sandbox::Sandbox& sandbox,
                                  const std::string& pool) override;
  Result<void> stop(const std::string& id, const nlohmann::json& runtime_data) override;
  server::AgentEndpoint endpoint(const std::string& id,
                                 const nlohmann::json& runtime_data) const override;
  server::Liveness liveness(const std::string& id, const nlohmann::json& runtime_data) override;
  std::string condition(const std::string&, const nlohmann::json&) override { return ""; }
  std::vector<std::string> list_placed() override;

  // What the test does to the sandboxes.
  void set_liveness(const std::string& id, server::Liveness liveness);
  void fail_starts(int n);  // the next n starts fail
  void fail_stops(int n);   // the next n stops fail
  // Places a sandbox no record names (what a lost store leaves behind).
  void place_orphan(const std::string& id);

  // What the test reads back.
  bool placed(const std::string& id) const;
  int starts() const;
  int stops() const;
  std::set<std::string> pooled_starts() const;  // ids started for a warm pool

 private:
  mutable std::mutex mutex_;
  std::map<std::string, server::Liveness> placed_;
  std::set<std::string> pooled_;
  int starts_ = 0;
  int stops_ = 0;
  int failing_starts_ = 0;
  int failing_stops_ = 0;
};

}  // namespace hive::test
