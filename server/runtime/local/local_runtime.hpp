// The local runtime: each sandbox is hive-agent as PID 1 in new pid, mount, uts, ipc and
// (unless network is "host") net namespaces, in its own cgroups, on a root built by the mount
// plan. Its files live in STATE/sandboxes/<id>/ and its agent listens on a Unix socket there.
// Sandboxes outlive the server process: everything needed to find one again is returned as
// runtime_data and kept in the store.
#pragma once

#include <memory>
#include <string>

#include "images/image_store.hpp"
#include "runtime/local/cgroups.hpp"
#include "runtime/local/host_root_plan.hpp"
#include "runtime/runtime.hpp"

namespace hive::server::local {

struct LocalRuntimeOptions {
  std::string state_dir;
  std::string agent_path;                // the static hive-agent binary
  int stop_grace_ms = 2000;              // SIGTERM to SIGKILL
  int command_nofile = 0;                // RLIMIT_NOFILE of each command (the agent's --nofile)
  images::ImageStore* images = nullptr;  // OCI images; without it only image "host" runs
};

class LocalRuntime : public Runtime {
 public:
  static Result<std::unique_ptr<LocalRuntime>> create(LocalRuntimeOptions options);

  std::string name() const override { return "local"; }
  Result<void> check() override;
  Result<void> admit(const sandbox::SandboxSpec& spec) override;
  bool needs_pull(const sandbox::SandboxSpec& spec) override;
  Result<void> pull(const sandbox::SandboxSpec& spec) override;
  Result<Placement> start(const sandbox::Sandbox& sandbox, const std::string& pool) override;
  Result<void> stop(const std::string& id, const nlohmann::json& runtime_data) override;
  AgentEndpoint endpoint(const std::string& id, const nlohmann::json& runtime_data) const override;
  Liveness liveness(const std::string& id, const nlohmann::json& runtime_data) override;
  std::string condition(const std::string& id, const nlohmann::json& runtime_data) override;
  std::vector<std::string> list_placed() override;
  void adopted(const std::string& id, const nlohmann::json& runtime_data) override;

 private:
  // Known to be alive: stop() signals only a process it can tell is the sandbox's own.
  bool alive(const std::string& id, const nlohmann::json& runtime_data);
  explicit LocalRuntime(LocalRuntimeOptions options) : options_(std::move(options)) {}
  Result<void> prepare();
  std::string sandbox_dir(const std::string& id) const;
  // The mount plan of sandbox sb, in its directory dir: image "host", or the image's layers.
  Result<MountPlan> root_plan(const sandbox::Sandbox& sb, const std::string& dir,
                              const images::Image* image);

  LocalRuntimeOptions options_;
  CgroupLayout cgroups_;
  std::vector<HostEntry> host_;
  std::string etc_mask_;
  std::string root_mount_;
  std::string egress_resolv_conf_;
};

// Two fields of /proc/PID/stat (proc(5)): the state ("Z" for a zombie) and the start time,
// which tells a live sandbox from a process that reused its pid. Empty when it is gone.
struct ProcStat {
  std::string state, start_time;
};
ProcStat proc_stat(int pid);

// The agent's stderr, beside (not inside) the sandbox's workspace: what it says before it dies.
std::string agent_log(const std::string& sandbox_dir);

}  // namespace hive::server::local
