// Everything hive-server needs to run sandboxes on Kubernetes, built from its flags: the API
// client, the Pod cache, the runtime, the record store over the cache, and the leader election
// that decides which replica reaps.
#pragma once

#include <memory>
#include <string>

#include "images/registry_client.hpp"
#include "runtime/kube/kube_runtime.hpp"
#include "runtime/kube/leader.hpp"
#include "runtime/kube/pod_store.hpp"

namespace hive::server::kube {

struct BackendOptions {
  std::string kubeconfig;  // empty: in-cluster config
  std::string context;
  std::string namespace_name;  // empty: the kubeconfig's or the pod's own
  std::string secret_file;     // the key agent secrets are derived from (a mounted Secret)
  std::string identity;        // this replica's name in the Lease
  std::string lease_name = "hive-server";
  std::chrono::seconds lease_duration{15};
  RateLimit rate;
  KubeOptions runtime;
  images::RegistryOptions registry;  // where a --start spawn's image command is read
};

struct Backend {
  std::unique_ptr<images::RegistryClient> registry;
  std::unique_ptr<KubeClient> client;
  std::unique_ptr<PodCache> cache;
  std::unique_ptr<KubeRuntime> runtime;
  std::unique_ptr<PodStore> store;
  std::unique_ptr<LeaderElector> leader;
};

// Connects, lists the Pods (waiting up to 30 s for the API), and starts the watch and the
// election. Fails with a message that names the flag to fix.
Result<Backend> make_backend(BackendOptions options);

}  // namespace hive::server::kube
