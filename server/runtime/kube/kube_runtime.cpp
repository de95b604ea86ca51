#include "runtime/kube/kube_runtime.hpp"

#include <spdlog/spdlog.h>

#include "common/agent_protocol.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::server::kube {
namespace {

using nlohmann::json;
constexpr const char* kAgentDir = "/hive";

json resources_of(const sandbox::Resources& resources) {
  json limits = json::object();
  if (!resources.cpu.empty()) limits["cpu"] = resources.cpu;
  if (!resources.memory.empty()) limits["memory"] = resources.memory;
  if (!resources.disk.empty()) limits["ephemeral-storage"] = resources.disk;
  json out = json::object();
  if (!limits.empty()) {
    out["limits"] = limits;
    out["requests"] = limits;  // what it may use is what the scheduler reserves
  }
  return out;
}

json container_ports(const std::vector<int>& ports, int agent_port) {
  json out = json::array({{{"name", "hive-agent"}, {"containerPort", agent_port}}});
  for (int port : ports) out.push_back({{"containerPort", port}});
  return out;
}

json env_of(const std::map<std::string, std::string>& env, const std::string& secret) {
  json out = json::array({{{"name", agent_protocol::kSecretEnv}, {"value", secret}}});
  for (const auto& [name, value] : env) out.push_back({{"name", name}, {"value", value}});
  return out;
}

bool terminal(const json& pod) {
  auto phase = pod_phase(pod);
  return phase == "Failed" || phase == "Succeeded";
}

}  // namespace

KubeRuntime::KubeRuntime(KubeClient& client, PodCache& cache, KubeOptions options)
    : client_(client), cache_(cache), options_(std::move(options)) {}

std::string KubeRuntime::pods_path() const {
  return "/api/v1/namespaces/" + options_.namespace_name + "/pods";
}

std::string KubeRuntime::agent_secret(const std::string& id) const {
  return hmac_hex(options_.secret_key, "hive-agent:" + id);
}

Result<void> KubeRuntime::check() {
  if (auto health = cache_.health(); !health) {
    return health.error().context("the Kubernetes API cannot be followed");
  }
  return {};
}

std::string pool_label(const std::string& pool) {
  return hmac_hex("hive-pool", pool).substr(0, 20);
}

Result<void> KubeRuntime::admit(const sandbox::SandboxSpec& spec) {
  if (!spec.start) return {};
  if (spec.image == "host") {
    return make_error(Errc::invalid_argument,
                      "start runs an image's Entrypoint and Cmd, and image 'host' has none");
  }
  if (!options_.image_command) {
    return make_error(Errc::invalid_argument, "start: this server cannot read images' commands");
  }
  return {};
}

json KubeRuntime::pod_manifest(const sandbox::Sandbox& sandbox, const std::string& pool,
                               const std::vector<std::string>& command) const {
  const auto& spec = sandbox.spec;
  std::string image = spec.image == "host" ? options_.sandbox_image : spec.image;
  json agent_mount = {{"name", "hive-agent"}, {"mountPath", kAgentDir}};
  json pod_spec = {
      {"restartPolicy", "Never"},
      {"serviceAccountName", options_.sandbox_service_account},
      {"automountServiceAccountToken", false},  // sandboxed code gets no API credentials
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", 2},
      {"hostname", sandbox.id},
      {"volumes", json::array({{{"name", "hive-agent"}, {"emptyDir", json::object()}},
                               {{"name", "workspace"}, {"emptyDir", json::object()}}})},
      {"initContainers", json::array({{{"name", "hive-agent-install"},
                                       {"image", options_.agent_image},
                                       {"command", {"/hive-agent", "--install-to", kAgentDir}},
                                       {"volumeMounts", json::array({agent_mount})}}})},
  };
  agent_mount["readOnly"] = true;
  json container = {
      {"name", "sandbox"},
      {"image", image},
      {"command",
       {std::string(kAgentDir) + "/hive-agent", "--listen-tcp",
        ":" + std::to_string(options_.agent_port), "--workdir", spec.workdir}},
      {"env", env_of(spec.env, agent_secret(sandbox.id))},
      {"ports", container_ports(spec.ports, options_.agent_port)},
      {"resources", resources_of(spec.resources)},
      {"readinessProbe",
       {{"httpGet", {{"path", agent_protocol::kHealthPath}, {"port", options_.agent_port}}},
        {"periodSeconds", 1},
        {"failureThreshold", 3}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", {"NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"volumeMounts",
       json::array({agent_mount, {{"name", "workspace"}, {"mountPath", "/workspace"}}})},
  };
  if (!command.empty()) {
    container["command"].push_back("--");
    for (const auto& arg : command) container["command"].push_back(arg);
  }
  pod_spec["containers"] = json::array({container});
  if (!spec.node_selector.empty()) pod_spec["nodeSelector"] = spec.node_selector;
  if (!spec.runtime_class.empty()) pod_spec["runtimeClassName"] = spec.runtime_class;
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", sandbox.id},
        {"namespace", options_.namespace_name},
        {"labels",
         {{kManagedBy, "hive"},
          {"app.kubernetes.io/component", "sandbox"},
          {kSandboxId, sandbox.id},
          // The NetworkPolicy (k8s/networkpolicy.yaml) allows egress by this label.
          {"hive.dev/network", sandbox::to_string(spec.network)}}},
        {"annotations",
         {{kSpecAnnotation, sandbox::dump(sandbox::to_json(spec))},
          {kCreatedAnnotation, sandbox.created_at},
          {kExpiresAnnotation, sandbox.expires_at}}}}},
      {"spec", pod_spec},
  };
  if (!pool.empty()) pod["metadata"]["labels"][kPoolLabel] = pool_label(pool);
  return pod;
}

std::vector<std::pair<std::string, bool>> KubeRuntime::pooled(const std::string& pool) const {
  const std::string label = pool_label(pool);
  std::vector<std::pair<std::string, bool>> out;
  cache_.for_each([&](const json& pod) {  // no copies: this runs at every spawn and refill tick
    const json& labels = pod["metadata"].contains("labels") ? pod["metadata"]["labels"] : json();
    if (!labels.is_object() || !labels.contains(kPoolLabel) || labels[kPoolLabel] != label ||
        pod_deleting(pod) || terminal(pod)) {
      return;
    }
    out.emplace_back(pod_name(pod), pod_ready(pod) && !pod_ip(pod).empty());
  });
  return out;
}

Result<void> KubeRuntime::claim(const std::string& id, const std::string& resource_version,
                                const sandbox::Sandbox& claimant) {
  json patch = {{"metadata",
                 {{"resourceVersion", resource_version},
                  {"labels", {{kPoolLabel, nullptr}}},
                  {"annotations",
                   {{kSpecAnnotation, sandbox::dump(sandbox::to_json(claimant.spec))},
                    {kCreatedAnnotation, claimant.created_at},
                    {kExpiresAnnotation, claimant.expires_at}}}}}};
  auto patched =
      client_.call("PATCH", pods_path() + "/" + id, &patch, "application/merge-patch+json");
  if (!patched) return patched.error().context("claiming pooled Pod " + id);
  return {};
}

std::string KubeRuntime::stuck_reason(const json& pod) {
  if (pod.contains("status")) {
    for (const auto& c : pod["status"].value("conditions", json::array())) {
      if (c.value("status", "") == "False" && c.contains("message")) {
        return c.value("reason", "") + ": " + c.value("message", "");
      }
    }
    for (const auto& s : pod["status"].value("containerStatuses", json::array())) {
      if (s.contains("state") && s["state"].contains("waiting")) {
        const auto& waiting = s["state"]["waiting"];
        return waiting.value("reason", "") + ": " + waiting.value("message", "");
      }
    }
  }
  return "phase " + (pod_phase(pod).empty() ? std::string("unknown") : pod_phase(pod));
}

Result<Placement> KubeRuntime::start(const sandbox::Sandbox& sandbox, const std::string& pool) {
  std::vector<std::string> command;
  if (sandbox.spec.start) {
    if (auto r = admit(sandbox.spec); !r) return r.error();
    auto read = options_.image_command(sandbox.spec.image);
    if (!read) return read.error().context("start");
    if (read->empty()) {
      return make_error(Errc::invalid_argument,
                        "start runs the image's Entrypoint and Cmd, "
                        "and image '" +
                            sandbox.spec.image + "' has neither");
    }
    command = std::move(*read);
  }
  json manifest = pod_manifest(sandbox, pool, command);
  if (auto created = client_.call("POST", pods_path(), &manifest); !created) {
    return created.error().context("creating Pod " + sandbox.id);
  }
  json last;
  bool ready = cache_.wait_for(
      sandbox.id,
      [&](const json* pod) {
        if (pod == nullptr) return false;
        last = *pod;
        return (pod_ready(*pod) && !pod_ip(*pod).empty()) || terminal(*pod) || pod_deleting(*pod);
      },
      options_.start_timeout);
  if (ready && pod_ready(last) && !terminal(last) && !pod_deleting(last)) {
    Placement placement;
    placement.runtime_data = {
        {"pod", sandbox.id}, {"ip", pod_ip(last)}, {"node", last["spec"].value("nodeName", "")}};
    placement.endpoint = endpoint(sandbox.id, placement.runtime_data);
    return placement;
  }
  std::string why = last.is_null() ? "it never appeared in the watch" : stuck_reason(last);
  (void)stop(sandbox.id, {});
  if (!ready) {
    return make_error(Errc::timeout, "Pod " + sandbox.id + " was not Ready within " +
                                         std::to_string(options_.start_timeout.count()) + " s (" +
                                         why + ")");
  }
  return make_error(Errc::unavailable,
                    "Pod " + sandbox.id + " ended before it was Ready (" + why + ")");
}

Result<void> KubeRuntime::stop(const std::string& id, const json&) {
  json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", 1}};
  auto deleted = client_.call("DELETE", pods_path() + "/" + id, &options);
  if (!deleted && deleted.error().code != Errc::not_found) {
    return deleted.error().context("deleting Pod " + id);
  }
  return {};
}

AgentEndpoint KubeRuntime::endpoint(const std::string& id, const json& runtime_data) const {
  AgentEndpoint endpoint;
  endpoint.host = runtime_data.value("ip", "");
  if (endpoint.host.empty()) {
    if (auto pod = cache_.get(id)) endpoint.host = pod_ip(*pod);
  }
  endpoint.port = options_.agent_port;
  endpoint.secret = agent_secret(id);
  return endpoint;
}

Liveness KubeRuntime::liveness(const std::string& id, const json&) {
  if (!cache_.health()) return Liveness::unknown;  // a stale cache is no evidence
  auto pod = cache_.get(id);
  return pod && !terminal(*pod) ? Liveness::alive : Liveness::gone;
}

std::string KubeRuntime::condition(const std::string& id, const json&) {
  auto pod = cache_.get(id);
  if (!pod || !pod->contains("status")) return "";
  const json& status = (*pod)["status"];
  if (status.value("reason", "") == "Evicted") return "disk-full";
  for (const auto& s : status.value("containerStatuses", json::array())) {
    for (const char* which : {"state", "lastState"}) {
      if (s.contains(which) && s[which].contains("terminated") &&
          s[which]["terminated"].value("reason", "") == "OOMKilled") {
        return "oom";
      }
    }
  }
  return "";
}

Result<void> KubeRuntime::set_expiry(const std::string& id, const std::string& expires_at) {
  json patch = {{"metadata", {{"annotations", {{kExpiresAnnotation, expires_at}}}}}};
  auto patched =
      client_.call("PATCH", pods_path() + "/" + id, &patch, "application/merge-patch+json");
  if (!patched) return patched.error().context("recording the new expiry of " + id);
  return {};
}

}  // namespace hive::server::kube
