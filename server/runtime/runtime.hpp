// The one interface behind which sandboxes run (docs/runtimes.md). The API, gateway and CLI never
// know which implementation is in use: `local` (namespaces + cgroups on this machine) or
// `kubernetes` (a Pod per sandbox). A runtime owns placement and teardown; the gateway only
// needs an AgentEndpoint to reach the sandbox's hive-agent.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::server {

// How the gateway reaches a sandbox's agent: a Unix socket (local) or host:port (a Pod IP),
// with a shared secret header where the network is not private to the server.
struct AgentEndpoint {
  std::string unix_path;
  std::string host;
  int port = 0;
  std::string secret;
};

// Whether a sandbox's agent still exists. `unknown` when the runtime could not tell (out of
// file descriptors, its view of the cluster stale): a sandbox is failed only on evidence that
// its agent is gone, never because a probe could not be made.
enum class Liveness { alive, gone, unknown };

struct Placement {
  nlohmann::json runtime_data = nlohmann::json::object();  // stored with the record
  AgentEndpoint endpoint;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;
  // Whether sandboxes can be started here now (for start-up and /readyz), and why not.
  virtual Result<void> check() = 0;
  // Whether a spec (defaults applied) can run here at all, before any record is made: an
  // invalid_argument error names what cannot (more CPUs than the machine has).
  virtual Result<void> admit(const sandbox::SandboxSpec&) { return {}; }
  // Whether start() would first have to fetch the spec's image (the sandbox is then Pulling
  // meanwhile), and the fetch itself: slow, shared by every spawn of that image.
  virtual bool needs_pull(const sandbox::SandboxSpec&) { return false; }
  virtual Result<void> pull(const sandbox::SandboxSpec&) { return {}; }
  // Creates the sandbox and returns once its agent answers. Leaves nothing behind on failure.
  // `pool` is the warm-pool key of a sandbox started ahead of demand ("" for a spawn).
  virtual Result<Placement> start(const sandbox::Sandbox& sandbox, const std::string& pool) = 0;
  // Ends every process and removes every mount, cgroup and directory. Idempotent.
  virtual Result<void> stop(const std::string& id, const nlohmann::json& runtime_data) = 0;
  virtual AgentEndpoint endpoint(const std::string& id,
                                 const nlohmann::json& runtime_data) const = 0;
  // Whether the sandbox's agent process still exists (the reaper's check, and after a server
  // restart).
  virtual Liveness liveness(const std::string& id, const nlohmann::json& runtime_data) = 0;
  // Why a running sandbox is in trouble: "oom" (a process was killed at the memory limit),
  // "pids-limit" (a fork failed at the process limit), "disk-full", or several of them joined
  // by ", " ("oom, pids-limit"); "" when it is fine.
  virtual std::string condition(const std::string& id, const nlohmann::json& runtime_data) = 0;
  // A sandbox found alive at start-up and kept (its record's runtime_data): what the runtime
  // holds in memory for its sandboxes is made again here (the local runtime: which images
  // are in use, so none is removed from under a sandbox).
  virtual void adopted(const std::string& /*id*/, const nlohmann::json& /*runtime_data*/) {}
  // The ids of the sandboxes this runtime has on the machine, whatever the store says: at
  // start-up, those without a record are orphans (a store lost or restored from a copy) and
  // are stopped. Empty where the runtime's objects are the records themselves (kubernetes: a
  // sandbox's Pod is its record, so none can outlive it).
  virtual std::vector<std::string> list_placed() { return {}; }
};

}  // namespace hive::server
