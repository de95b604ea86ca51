// Leader election on a coordination.k8s.io Lease, so only one replica reaps (TTL, idle) and
// refills pools. The leader renews every third of the lease; one that cannot renew within two
// thirds of it stops acting as leader before anyone else may take over. Others take the lease
// when its holder has not renewed it for a whole lease duration, judged by their own clocks
// from when they saw it change (no comparison of clocks across machines).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/kube/kube_client.hpp"

namespace hive::server::kube {

class LeaderElector {
 public:
  LeaderElector(KubeClient& client, std::string namespace_name, std::string lease_name,
                std::string identity, std::chrono::seconds duration);
  ~LeaderElector();  // a leader leaving releases the lease, so another takes over at once
  void start();
  bool is_leader() const { return leader_.load(); }
  const std::string& identity() const { return identity_; }

 private:
  void run();
  // One attempt to take or renew the lease; whether we hold it now.
  Result<bool> try_hold();
  void release();

  KubeClient& client_;
  std::string path_;  // the Lease's collection
  std::string lease_name_;
  std::string identity_;
  std::chrono::seconds duration_;
  std::atomic<bool> leader_{false};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  // The holder and renew time last seen, and when we first saw them so.
  std::string seen_record_;
  std::chrono::steady_clock::time_point seen_at_;
  std::chrono::steady_clock::time_point renewed_at_;
  std::thread thread_;
};

}  // namespace hive::server::kube
