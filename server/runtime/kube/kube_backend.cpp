#include "runtime/kube/kube_backend.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "images/image_store.hpp"
#include "images/manifest.hpp"

namespace hive::server::kube {
namespace {

Result<std::string> read_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == ' ')) key.pop_back();
  if (!in || key.size() < 16) {
    return make_error(Errc::invalid_argument,
                      "--kube-secret-file " + path + ": cannot read a key of 16 bytes or more");
  }
  return key;
}

// The image's Entrypoint and Cmd, from its manifest and config (a few KiB, not its layers).
Result<std::vector<std::string>> image_command(images::RegistryClient& registry,
                                               const std::string& image) {
  auto ref = images::parse_reference(image);
  if (!ref) return ref.error();
  auto manifest = images::resolve_manifest(registry, *ref);
  if (!manifest) return manifest.error();
  auto config = images::fetch_config(registry, *ref, manifest->config_digest);
  if (!config) return config.error();
  return images::start_command(images::config_from_json(*config));
}

}  // namespace

Result<Backend> make_backend(BackendOptions options) {
  auto config = options.kubeconfig.empty() ? in_cluster_config()
                                           : kubeconfig_file(options.kubeconfig, options.context);
  if (!config) return config.error();
  if (options.namespace_name.empty()) options.namespace_name = config->namespace_name;
  if (options.namespace_name.empty()) options.namespace_name = "default";
  options.runtime.namespace_name = options.namespace_name;
  auto key = read_key(options.secret_file);
  if (!key) return key.error();
  options.runtime.secret_key = *key;

  Backend backend;
  backend.registry = std::make_unique<images::RegistryClient>(options.registry);
  options.runtime.image_command = [registry = backend.registry.get()](const std::string& image) {
    return image_command(*registry, image);
  };
  backend.client = std::make_unique<KubeClient>(*config, options.rate);
  backend.cache = std::make_unique<PodCache>(*backend.client, options.namespace_name,
                                             std::string(kManagedBy) + "=hive");
  backend.cache->start();
  if (!backend.cache->wait_synced(std::chrono::seconds(30))) {
    auto health = backend.cache->health();
    return make_error(Errc::unavailable,
                      "cannot list Pods in namespace " + options.namespace_name + ": " +
                          (health ? "no answer in 30 s" : health.error().message));
  }
  backend.runtime = std::make_unique<KubeRuntime>(*backend.client, *backend.cache, options.runtime);
  backend.store = std::make_unique<PodStore>(*backend.cache, *backend.runtime);
  backend.leader =
      std::make_unique<LeaderElector>(*backend.client, options.namespace_name, options.lease_name,
                                      options.identity, options.lease_duration);
  backend.leader->start();
  spdlog::info("kubernetes runtime: namespace {}, API {}, {} Pods, replica {}",
               options.namespace_name, config->server, backend.cache->list().size(),
               options.identity);
  return backend;
}

}  // namespace hive::server::kube
