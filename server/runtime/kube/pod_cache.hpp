// Hive's Pods as the API server last said they were: a LIST, then a WATCH from its
// resourceVersion (with bookmarks), relisted on 410 Gone, re-watched with backoff when the API
// is away. list/get/routing read this and make no API calls; spawns wait on it for Ready.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/kube/kube_client.hpp"

namespace hive::server::kube {

class PodCache {
 public:
  PodCache(KubeClient& client, std::string namespace_name, std::string label_selector);
  ~PodCache();
  PodCache(const PodCache&) = delete;
  PodCache& operator=(const PodCache&) = delete;

  void start();
  // Waits for the first LIST; false when it did not come in time (the last error says why).
  bool wait_synced(std::chrono::milliseconds timeout);
  // Whether the cache follows the API now, and if not, why.
  Result<void> health() const;

  std::optional<nlohmann::json> get(const std::string& name) const;
  std::vector<nlohmann::json> list() const;
  // Calls `visit` on every Pod under the cache's lock: no copies (keep it quick).
  void for_each(const std::function<void(const nlohmann::json&)>& visit) const;
  // Waits until `done` holds for the Pod (nullptr: not in the cache) or the timeout passes;
  // returns whether it held.
  bool wait_for(const std::string& name, const std::function<bool(const nlohmann::json*)>& done,
                std::chrono::milliseconds timeout) const;
  std::uint64_t relists() const { return relists_.load(); }

 private:
  void run();
  Result<void> relist();
  Result<void> follow();
  void apply(const nlohmann::json& event);
  void sleep_backoff(std::chrono::milliseconds delay);

  KubeClient& client_;
  std::string path_;      // /api/v1/namespaces/NS/pods
  std::string selector_;  // url-encoded labelSelector
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, nlohmann::json> pods_;
  std::string resource_version_;
  bool synced_ = false;
  bool following_ = false;
  Error last_error_{Errc::unavailable, "the Pod cache has not listed yet"};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> relists_{0};
  std::thread thread_;
};

// A Pod's name, phase, readiness and IP, as the cache keeps them.
std::string pod_name(const nlohmann::json& pod);
bool pod_ready(const nlohmann::json& pod);
std::string pod_ip(const nlohmann::json& pod);
bool pod_deleting(const nlohmann::json& pod);
std::string pod_phase(const nlohmann::json& pod);

}  // namespace hive::server::kube
