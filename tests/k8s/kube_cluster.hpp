// Test support for the kubernetes runtime: the control plane of cluster.sh (etcd,
// kube-apiserver, kube-scheduler, kwok) started once per test process, and per test a
// namespace with the ServiceAccounts and Role of k8s/, a kubeconfig holding the hive-server
// ServiceAccount's token (so the tests run under the same RBAC as a deployment), and the flags
// that point hive-server at it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace hive::test {

class KubeCluster {
 public:
  static KubeCluster& get();  // started at first use, stopped at exit
  ~KubeCluster();
  // kubectl as the cluster admin.
  Outcome kubectl(std::vector<std::string> args, const std::string& input = "") const;
  nlohmann::json kubectl_json(std::vector<std::string> args) const;
  void restart_apiserver(int seconds_down) const;
  const std::string& dir() const { return dir_.path(); }
  std::string apiserver_metric(const std::string& prefix) const;  // /metrics lines

 private:
  KubeCluster();
  TempDir dir_;
};

// A namespace of the test's own, set up as k8s/ sets one up.
class KubeNamespace {
 public:
  explicit KubeNamespace(const std::string& name);
  ~KubeNamespace();
  const std::string& name() const { return name_; }
  // hive-server flags for this namespace (add --replica-id etc. as needed).
  std::vector<std::string> server_flags() const;
  const std::string& agent_key() const { return key_; }
  nlohmann::json pods() const;                        // kubectl get pods -o json, items
  nlohmann::json pod(const std::string& name) const;  // null when absent
  std::string kubeconfig_for(const std::string& service_account) const;

 private:
  std::string name_;
  TempDir files_;
  std::string key_;
};

}  // namespace hive::test
