// The seeds' control-plane API (Ash / StationHive, docs/api.md), so their clients work against
// Hive unchanged: POST /spawn, DELETE /deprovision/{uuid}, DELETE /deprovision-all, with their
// field names, answers and `{"error": "..."}` bodies. A sandbox spawned here is a Hive sandbox
// like any other, labelled from=control-plane,type=sandbox as the seed labelled its
// Deployments; deprovision-all removes only those. Its "uuid" is the sandbox id, which is what
// the seeds' clients send as X-Session-ID to /mcp.
#pragma once

#include <string>

#include "hive/error.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::server {

// The label selector of everything /spawn made.
inline constexpr char kSeedSelector[] = "from=control-plane,type=sandbox";

// {image, name, ports: [{container_port}], env, resources: {requests, limits}, node_selector}
// as a Hive spec; fields the seed ignored ("expose", "replicas"...) are ignored too.
Result<sandbox::SandboxSpec> seed_spawn_spec(const sandbox::Json& body);

struct SeedPlace {
  std::string namespace_name;  // the kube namespace, or "hive" on the local runtime
  std::string host;            // where the client reaches the sandbox: this gateway
};

// {name, uuid, namespace, status: "Ready", service_type, host, ports, message, token}
sandbox::Json seed_spawn_answer(const sandbox::Sandbox& sb, const SeedPlace& place,
                                const std::string& token);

// The seed's error body.
inline sandbox::Json seed_error(const std::string& message) { return {{"error", message}}; }

}  // namespace hive::server
