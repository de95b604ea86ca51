// Sandbox records for the kubernetes runtime, read from the Pod cache: the Pod is the record,
// so any replica answers for any sandbox and none keeps state of its own. What has no Pod yet
// (a spawn between its insert and its Pod's creation) or is changing locally (Terminating, a
// reaped sandbox's tombstone) is held in memory by the replica doing it; a removed sandbox is
// hidden at once, before the watch reports the Pod gone. Writes to the API: none here but a
// keepalive's new expiry — creation and deletion are the runtime's.
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "runtime/kube/kube_runtime.hpp"
#include "store/store.hpp"

namespace hive::server::kube {

class PodStore : public server::Store {
 public:
  PodStore(PodCache& cache, KubeRuntime& runtime) : cache_(cache), runtime_(runtime) {}

  Result<void> insert(const server::Record& record) override;
  Result<void> update(const server::Record& record) override;
  Result<server::Record> get(const std::string& id_or_name) override;
  Result<std::vector<server::Record>> list() override;
  Result<void> remove(const std::string& id) override;

 private:
  std::vector<server::Record> merged();  // caller holds mutex_
  // The record a Pod carries, parsed once per resourceVersion (caller holds mutex_).
  std::optional<server::Record> parsed(const nlohmann::json& pod);
  void forget_stale();  // caller holds mutex_

  PodCache& cache_;
  KubeRuntime& runtime_;
  std::mutex mutex_;
  std::map<std::string, server::Record> local_;  // by id: no Pod yet, or a local state
  std::map<std::string, std::chrono::steady_clock::time_point> removed_;
  // Pod name -> (resourceVersion, record): the spec annotation is JSON, parsed once.
  std::map<std::string, std::pair<std::string, std::optional<server::Record>>> parsed_;
};

// A Hive Pod as the sandbox record it carries; nullopt for a Pod that is not one of ours.
std::optional<server::Record> record_from_pod(const nlohmann::json& pod);

}  // namespace hive::server::kube
