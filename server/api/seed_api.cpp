#include "api/seed_api.hpp"

namespace hive::server {
namespace {

using sandbox::Json;

Result<Json> seed_ports(const Json& ports) {
  Json out = Json::array();
  if (!ports.is_array()) return make_error(Errc::invalid_argument, "ports: expected a list");
  for (const auto& port : ports) {
    auto it = port.is_object() ? port.find("container_port") : port.end();
    if (!port.is_object() || it == port.end() || !it->is_number_integer()) {
      return make_error(Errc::invalid_argument,
                        "ports: each is {\"container_port\": N}, got " + sandbox::dump(port));
    }
    out.push_back(*it);
  }
  return out;
}

// The seed set requests and limits; a Hive sandbox has one figure each, its limit.
Result<Json> seed_resources(const Json& resources) {
  if (!resources.is_object()) {
    return make_error(Errc::invalid_argument, "resources: expected {requests, limits}");
  }
  Json out = Json::object();
  for (const char* part : {"requests", "limits"}) {
    auto it = resources.find(part);
    if (it == resources.end() || it->is_null()) continue;
    if (!it->is_object()) {
      return make_error(Errc::invalid_argument,
                        std::string("resources.") + part + ": expected {cpu, memory}");
    }
    for (const char* name : {"cpu", "memory"}) {
      auto value = it->find(name);
      if (value == it->end() || (value->is_string() && value->get<std::string>().empty())) continue;
      out[name] = *value;  // limits come second and win; spec_from_json checks the type
    }
  }
  return out;
}

}  // namespace

Result<sandbox::SandboxSpec> seed_spawn_spec(const Json& body) {
  if (!body.is_object()) return make_error(Errc::invalid_argument, "expected a JSON object");
  auto image = body.find("image");
  if (image == body.end() || !image->is_string() || image->get<std::string>().empty()) {
    return make_error(Errc::invalid_argument, "image is required");
  }
  Json spec = {{"image", *image}, {"labels", {{"from", "control-plane"}, {"type", "sandbox"}}}};
  for (const char* same : {"name", "env", "node_selector"}) {
    if (auto it = body.find(same); it != body.end() && !it->is_null()) spec[same] = *it;
  }
  if (auto it = body.find("ports"); it != body.end() && !it->is_null()) {
    auto ports = seed_ports(*it);
    if (!ports) return ports.error();
    spec["ports"] = *ports;
  }
  if (auto it = body.find("resources"); it != body.end() && !it->is_null()) {
    auto resources = seed_resources(*it);
    if (!resources) return resources.error();
    spec["resources"] = *resources;
  }
  return sandbox::spec_from_json(spec);
}

Json seed_spawn_answer(const sandbox::Sandbox& sb, const SeedPlace& place,
                       const std::string& token) {
  const bool running = sb.state == sandbox::State::Running;
  return {{"name", sb.spec.name.empty() ? sb.id : sb.spec.name},
          {"uuid", sb.id},
          {"namespace", place.namespace_name},
          {"status", running ? "Ready" : "Starting"},
          {"service_type", "ClusterIP"},
          {"host", place.host},
          {"ports", sb.spec.ports},
          {"message", "MCP: POST /mcp on this host with X-Session-ID: " + sb.id},
          {"token", token}};
}

}  // namespace hive::server
