#include "kube_cluster.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hive::test {
namespace {

std::string script() { return std::string(HIVE_SOURCE_DIR) + "/tests/k8s/cluster.sh"; }
std::string manifests() { return std::string(HIVE_SOURCE_DIR) + "/k8s"; }

std::string env_value(const std::string& env_file, const std::string& name) {
  std::ifstream in(env_file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

KubeCluster& KubeCluster::get() {
  static KubeCluster cluster;
  return cluster;
}

KubeCluster::KubeCluster() {
  auto up = run({"/bin/bash", script(), "up", dir_.path(), "4"});
  if (up.exit_code != 0) {
    run({"/bin/bash", script(), "down", dir_.path()});
    throw std::runtime_error("the test control plane did not start:\n" + up.err);
  }
}

KubeCluster::~KubeCluster() { run({"/bin/bash", script(), "down", dir_.path()}); }

Outcome KubeCluster::kubectl(std::vector<std::string> args, const std::string& input) const {
  std::vector<std::string> argv{env_value(dir_.path() + "/env", "BIN") + "/kubectl", "--kubeconfig",
                                dir_.path() + "/admin.kubeconfig"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

nlohmann::json KubeCluster::kubectl_json(std::vector<std::string> args) const {
  args.insert(args.end(), {"-o", "json"});
  auto out = kubectl(args);
  if (out.exit_code != 0) return nullptr;
  return nlohmann::json::parse(out.out, nullptr, false);
}

void KubeCluster::restart_apiserver(int seconds_down) const {
  auto out =
      run({"/bin/bash", script(), "restart-apiserver", dir_.path(), std::to_string(seconds_down)});
  if (out.exit_code != 0) throw std::runtime_error("apiserver restart failed: " + out.err);
}

std::string KubeCluster::apiserver_metric(const std::string& prefix) const {
  auto out = kubectl({"get", "--raw", "/metrics"});
  std::string lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = out.out.substr(start, nl - start);
    if (line.rfind(prefix, 0) == 0) lines += line + "\n";
  }
  return lines;
}

KubeNamespace::KubeNamespace(const std::string& name) : name_(name) {
  auto& cluster = KubeCluster::get();
  cluster.kubectl({"create", "namespace", name_});
  for (const char* file : {"/serviceaccounts.yaml", "/rbac.yaml"}) {
    auto applied = cluster.kubectl({"-n", name_, "apply", "-f", manifests() + file});
    if (applied.exit_code != 0) throw std::runtime_error("kubectl apply: " + applied.err);
  }
  key_ = "test-agent-key-" + name_ + "-0123456789abcdef";
  write(files_.path() + "/agent-key", key_);
  write(files_.path() + "/token", "test-admin-token-0123456789abcdef\n");
  write(files_.path() + "/kubeconfig", kubeconfig_for("hive-server"));
}

KubeNamespace::~KubeNamespace() {
  KubeCluster::get().kubectl({"delete", "namespace", name_, "--wait=false"});
}

std::string KubeNamespace::kubeconfig_for(const std::string& service_account) const {
  auto& cluster = KubeCluster::get();
  auto token = cluster.kubectl({"-n", name_, "create", "token", service_account, "--duration=2h"});
  if (token.exit_code != 0) {
    cluster.kubectl({"-n", name_, "create", "serviceaccount", service_account});
    token = cluster.kubectl({"-n", name_, "create", "token", service_account, "--duration=2h"});
  }
  std::string port = env_value(cluster.dir() + "/env", "API_PORT");
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
         "    server: https://127.0.0.1:" +
         port +
         "\n    insecure-skip-tls-verify: true\n"
         "users:\n- name: sa\n  user:\n    token: " +
         trim(token.out) +
         "\n"
         "contexts:\n- name: test\n  context: {cluster: test, user: sa, namespace: " +
         name_ +
         "}\n"
         "current-context: test\n";
}

std::vector<std::string> KubeNamespace::server_flags() const {
  return {"--runtime",          "kubernetes",
          "--kubeconfig",       files_.path() + "/kubeconfig",
          "--kube-secret-file", files_.path() + "/agent-key",
          "--token-file",       files_.path() + "/token",
          "--lease-seconds",    "3"};
}

nlohmann::json KubeNamespace::pods() const {
  auto list = KubeCluster::get().kubectl_json({"-n", name_, "get", "pods"});
  return list.is_object() ? list["items"] : nlohmann::json::array();
}

nlohmann::json KubeNamespace::pod(const std::string& name) const {
  return KubeCluster::get().kubectl_json({"-n", name_, "get", "pod", name});
}

}  // namespace hive::test
