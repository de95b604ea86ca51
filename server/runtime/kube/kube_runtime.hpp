// The kubernetes runtime (docs/runtimes.md): one bare Pod per sandbox, named by the sandbox id.
// An init container copies the static hive-agent into an emptyDir; the agent is the sandbox
// container's command, listens on the Pod IP at 7777 and admits the gateway by a per-sandbox
// secret (HMAC of the id under the server's key, so every replica can derive it). The sandbox
// record lives in the Pod's labels and annotations; the Pod cache answers reads.
#pragma once

#include "common/ids.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/kube/kube_client.hpp"
#include "runtime/kube/pod_cache.hpp"
#include "runtime/runtime.hpp"

namespace hive::server::kube {

struct KubeOptions {
  std::string namespace_name = "hive";
  std::string agent_image = "ghcr.io/hive-sandbox/hive-agent:latest";
  std::string sandbox_image = "ghcr.io/hive-sandbox/sandbox:latest";  // for image "host"
  std::string sandbox_service_account = "hive-sandbox";
  std::string secret_key;  // the servers' shared key; agent secrets are derived from it
  int agent_port = 7777;
  std::chrono::seconds start_timeout{180};  // image pulls can be slow
  // What a spawn with "start" runs: the image's Entrypoint and Cmd, read from its registry
  // (the kubelet pulls the rest). Unset: such spawns are refused.
  std::function<Result<std::vector<std::string>>(const std::string& image)> image_command;
};

// Labels every Hive Pod carries.
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";
inline constexpr const char* kSandboxId = "hive.dev/sandbox-id";
inline constexpr const char* kSpecAnnotation = "hive.dev/spec";
inline constexpr const char* kCreatedAnnotation = "hive.dev/created-at";
inline constexpr const char* kExpiresAnnotation = "hive.dev/expires-at";
inline constexpr const char* kPoolLabel = "hive.dev/pool";

// A pool key (image|network|resources) as a label value: a short hash.
std::string pool_label(const std::string& pool);

class KubeRuntime : public Runtime {
 public:
  KubeRuntime(KubeClient& client, PodCache& cache, KubeOptions options);
  std::string name() const override { return "kubernetes"; }
  Result<void> check() override;
  Result<void> admit(const sandbox::SandboxSpec& spec) override;
  Result<Placement> start(const sandbox::Sandbox& sandbox, const std::string& pool) override;
  Result<void> stop(const std::string& id, const nlohmann::json& runtime_data) override;
  AgentEndpoint endpoint(const std::string& id, const nlohmann::json& runtime_data) const override;
  Liveness liveness(const std::string& id, const nlohmann::json& runtime_data) override;
  std::string condition(const std::string& id, const nlohmann::json& runtime_data) override;

  // The Pod a sandbox runs in (exposed for the tests' and the benchmark's checks); `command`,
  // the image's, is run by the agent in the background.
  nlohmann::json pod_manifest(const sandbox::Sandbox& sandbox, const std::string& pool,
                              const std::vector<std::string>& command = {}) const;
  // A warm pool's unclaimed Pods, any replica's: (id, ready).
  std::vector<std::pair<std::string, bool>> pooled(const std::string& pool) const;
  // Takes a pooled Pod for a spawn: one PATCH that writes the claimant's record and drops the
  // pool label, guarded by the resourceVersion the cache saw (Errc::conflict: another replica
  // got there first).
  Result<void> claim(const std::string& id, const std::string& resource_version,
                     const sandbox::Sandbox& claimant);
  // Writes a new expiry into the Pod (keepalive): the one write besides create and delete.
  Result<void> set_expiry(const std::string& id, const std::string& expires_at);
  const KubeOptions& options() const { return options_; }
  std::string pods_path() const;

 private:
  std::string agent_secret(const std::string& id) const;
  // Why a Pod is not starting (unschedulable, image pull failing...), from its status.
  static std::string stuck_reason(const nlohmann::json& pod);

  KubeClient& client_;
  PodCache& cache_;
  KubeOptions options_;
};

}  // namespace hive::server::kube
