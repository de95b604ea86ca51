// The typed shapes of Hive's API (docs/api.md): what a client sends to spawn and exec, and
// what the server answers. Plain structs; JSON conversion lives in codec.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hive::sandbox {

// Pulling: its image is being pulled (local runtime); Starting follows.
enum class State { Pending, Pulling, Starting, Running, Terminating, Terminated, Failed };

std::string to_string(State state);
std::vector<State> all_states();  // in lifecycle order
std::optional<State> state_from_string(const std::string& name);
// Terminated and Failed are final: nothing runs and nothing is left on the host.
bool is_final(State state);

enum class Network { None, Host, Egress };
std::string to_string(Network network);

struct Resources {
  std::string cpu;        // Kubernetes quantity: "1", "500m"; empty = no limit
  std::string memory;     // "512Mi", "1G"; empty = no limit
  std::int64_t pids = 0;  // 0 = no limit
  std::string disk;       // "1Gi"; empty = no limit
};

// What a client asks for at spawn. Every field is optional; defaults are the server's.
struct SandboxSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string image = "host";
  std::map<std::string, std::string> env;
  std::string workdir = "/workspace";
  Network network = Network::None;
  std::int64_t ttl_seconds = 0;           // 0 = the server's default
  std::int64_t idle_timeout_seconds = 0;  // 0 = the server's default
  Resources resources;
  std::vector<int> ports;
  std::map<std::string, std::string> node_selector;
  std::string runtime_class;
  nlohmann::json mcp_servers = nlohmann::json::object();
  bool start = false;  // run the image's Entrypoint+Cmd as the first background process
};

// The sandbox resource (docs/api.md).
struct Sandbox {
  std::string id;
  SandboxSpec spec;
  std::string runtime;
  State state = State::Pending;
  std::string reason;
  std::string created_at, ready_at, expires_at, last_activity_at;  // RFC 3339, UTC
  // Spawn, get and keepalive answer with a token for this sandbox alone (exec, attach, files,
  // MCP), valid until expires_at: what to hand a rollout worker or an agent.
  std::string token;
};

struct ExecRequest {
  std::vector<std::string> argv;  // exec'd directly
  std::string command;            // or run by /bin/sh -c; exactly one of argv/command
  std::map<std::string, std::string> env;
  std::string cwd;
  double timeout_seconds = 0;         // 0 = no timeout
  std::string stdin_data;             // bytes fed to the command's stdin, then EOF
  std::int64_t max_output_bytes = 0;  // per stream; 0 = the default cap
  bool background = false;            // start it and return its pid at once
};

struct ExecResult {
  int exit_code = 0;  // 128+n when killed by signal n
  int signal = 0;
  std::string stdout_data, stderr_data;
  std::int64_t duration_ms = 0;
  bool timed_out = false;
  bool truncated = false;
  std::string error;  // set when the command could not be started at all
};

// One event of a streamed exec (docs/api.md), sent as one JSON object per line.
struct ExecEvent {
  enum class Kind { Start, Stdout, Stderr, Exit };
  Kind kind = Kind::Start;
  int pid = 0;  // Start
  // Start, at the head of a background process's log: bytes of its oldest log lines dropped to
  // keep the newest (0: the log is whole).
  std::int64_t dropped_bytes = 0;
  std::string data;   // Stdout, Stderr: raw bytes
  ExecResult result;  // Exit: everything but the output, which came as events
};

}  // namespace hive::sandbox
