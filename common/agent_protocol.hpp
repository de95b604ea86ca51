// The names the server and hive-agent must agree on, spelled once: the agent's routes the
// server calls itself, and how a Pod's agent learns and checks its secret. Here, in common/,
// which both binaries compile, rather than on either side of the wire.
#pragma once

namespace hive::agent_protocol {

// GET: the agent's health ({"active_calls", "idle_seconds"}); the one route a secret gate lets
// through unauthenticated, for the kubelet's readiness probe.
inline constexpr char kHealthPath[] = "/healthz";
// POST: what a spec adds after start (env and workdir of a warm-pool claim, MCP servers).
inline constexpr char kConfigurePath[] = "/configure";

// The request header carrying a sandbox's secret to an agent that listens on TCP (a Pod).
inline constexpr char kSecretHeader[] = "X-Hive-Agent-Secret";
// The environment variable that hands the secret to the agent at start.
inline constexpr char kSecretEnv[] = "HIVE_AGENT_SECRET";

}  // namespace hive::agent_protocol
