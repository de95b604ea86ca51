// The control plane's logic, independent of HTTP: spawn, list, get, deprovision and exec,
// over a Store (records) and a Runtime (placement). Thread-safe; calls block.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hive/sandbox/types.hpp"
#include "runtime/runtime.hpp"
#include "store/store.hpp"

namespace hive::server {

struct ServiceOptions {
  std::int64_t default_ttl_seconds = 3600;
  std::int64_t default_idle_timeout_seconds = 900;
};

class SandboxService {
 public:
  SandboxService(Store& store, runtime::Runtime& runtime, ServiceOptions options);

  // Creates a sandbox and returns it Running, or an error with nothing left behind.
  Result<sandbox::Sandbox> spawn(sandbox::SandboxSpec spec);
  Result<std::vector<sandbox::Sandbox>> list(std::optional<sandbox::State> state);
  Result<sandbox::Sandbox> get(const std::string& id_or_name);
  // Stops the sandbox, removes its record and returns it as Terminated.
  Result<sandbox::Sandbox> deprovision(const std::string& id_or_name);
  Result<sandbox::ExecResult> exec(const std::string& id_or_name,
                                   const sandbox::ExecRequest& request);
  // After a restart: keeps what is alive, marks the rest Failed and cleans it up.
  void adopt_all();
  std::string runtime_name() const { return runtime_.name(); }

 private:
  Result<Record> running(const std::string& id_or_name);

  Store& store_;
  runtime::Runtime& runtime_;
  ServiceOptions options_;
};

}  // namespace hive::server
