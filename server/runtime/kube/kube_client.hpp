// A small Kubernetes API client on libcurl (docs/runtimes.md): in-cluster config or a kubeconfig,
// bearer token or client certificate, the API's errors turned into Hive's, a client-side rate
// limit, and line-by-line watch streams. Thread-safe: each thread keeps its own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"

namespace hive::server::kube {

struct KubeConfig {
  std::string server;  // https://host:port
  std::string token;
  std::string token_file;           // re-read as it rotates (projected service-account tokens)
  std::string ca_file, ca_data;     // PEM; ca_data already decoded
  std::string cert_data, key_data;  // client certificate, PEM
  bool insecure = false;
  std::string namespace_name;  // the context's (kubeconfig) or the pod's (in cluster)
};

// From KUBERNETES_SERVICE_HOST/PORT and the service account's files.
Result<KubeConfig> in_cluster_config();
// The current context (or `context`) of a kubeconfig file.
Result<KubeConfig> kubeconfig_file(const std::string& path, const std::string& context = "");

struct KubeResponse {
  long status = 0;
  nlohmann::json body;
};

// Requests per second and burst a client allows itself (client-go's defaults are 5 and 10;
// a sandbox fleet needs more).
struct RateLimit {
  double qps = 100;
  double burst = 200;
};

class KubeClient {
 public:
  KubeClient(KubeConfig config, RateLimit limit = {});

  // One call. A 2xx answers the body; 403/404/409/422 become forbidden/not_found/conflict/
  // invalid_argument with the API's message; 429 and 503 are retried after Retry-After (at
  // most 3 times) and then unavailable; other 5xx and transport failures are unavailable.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json* body = nullptr,
                              const char* content_type = "application/json");
  // A watch: each event object as it arrives, until on_event returns false, the server ends
  // the stream, or `stop` is set. Returns an error when the stream could not be opened or broke.
  Result<void> watch(const std::string& path, const std::function<bool(nlohmann::json)>& on_event,
                     const std::atomic<bool>& stop);

  const KubeConfig& config() const { return config_; }

 private:
  struct Raw {
    long status = 0;
    std::string body;
    double retry_after = 0;
  };
  Result<Raw> perform(const std::string& method, const std::string& path, const std::string* body,
                      const char* content_type);
  void wait_for_token();
  std::string bearer();

  // Connections and TLS sessions shared by every thread's handle: without it each of the
  // server's worker threads paid its own TLS handshake to the API server.
  struct Share;
  std::shared_ptr<Share> share_;
  KubeConfig config_;
  RateLimit limit_;
  std::mutex mutex_;  // the rate limiter's bucket
  double tokens_;
  std::chrono::steady_clock::time_point refilled_;
};

// "pods \"x\" is forbidden: ..." style messages come from the API's Status object.
Error status_error(long http_status, const nlohmann::json& body, const std::string& what);

}  // namespace hive::server::kube
