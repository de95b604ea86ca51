// The control plane's logic, independent of HTTP: spawn, list, get, deprovision, and the
// agent route the gateway proxies to, over a Store (records) and a Runtime (placement).
// Thread-safe; calls block.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "hive/sandbox/selector.hpp"
#include "hive/sandbox/types.hpp"
#include "runtime/runtime.hpp"
#include "service/warm_pool.hpp"
#include "store/store.hpp"

namespace hive::server {

struct ServiceOptions {
  std::int64_t default_ttl_seconds = 3600;
  std::int64_t default_idle_timeout_seconds = 900;
  // How long a reaped sandbox stays visible (state Terminated, with its reason).
  std::int64_t tombstone_seconds = 3600;
  // Ready sandboxes kept per spec key once that spec has been asked for; 0 disables pools.
  std::size_t warm_pool_size = 0;
  // Limits a spec gets where it names none (--default-memory and friends): no sandbox runs
  // unbounded unless the operator says so.
  sandbox::Resources default_resources;
  // Whether this replica reaps and refills pools now (the Lease's leader on Kubernetes);
  // unset: always.
  std::function<bool()> may_reap;
  // The time every clock of the service reads (TTLs, idle clocks, tombstones, back-offs);
  // unset: the system clock. Tests set their own.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// Fills the limits a spec leaves empty from the server's defaults (spawns and pool specs alike,
// so a default spawn matches the default pool).
void apply_default_resources(sandbox::Resources& resources, const sandbox::Resources& defaults);

// Where a call inside a sandbox goes, held for the call's length: while `busy` lives the
// reaper counts the sandbox as active, and its end restarts the idle clock.
struct AgentRoute {
  std::string id;
  AgentEndpoint endpoint;
  std::shared_ptr<void> busy;
};

class SandboxService {
 public:
  SandboxService(Store& store, Runtime& runtime, ServiceOptions options);

  // Creates a sandbox and returns it Running, or an error with nothing left behind.
  Result<sandbox::Sandbox> spawn(sandbox::SandboxSpec spec);
  // With run_later (spawn ?wait=false): returns the sandbox Starting at once (Pulling when its
  // image must be pulled first, Running when a warm pool had one) and hands its start to
  // run_later, told whether it pulls (and so may take minutes); a start that fails leaves it
  // Failed with the reason.
  using RunLater = std::function<void(std::function<void()> start, bool pulls)>;
  Result<sandbox::Sandbox> spawn(sandbox::SandboxSpec spec, const RunLater& run_later);
  // A server-side dry run (POST /v1/sandboxes?dryRun=All, kubectl's): the spec as a spawn would
  // take it, defaults applied, checked against this runtime and the names in use; nothing is
  // created. The answer has no id.
  Result<sandbox::Sandbox> dry_run(sandbox::SandboxSpec spec);
  Result<std::vector<sandbox::Sandbox>> list(std::optional<sandbox::State> state,
                                             const sandbox::Selector& selector = {});
  Result<sandbox::Sandbox> get(const std::string& id_or_name);
  // Stops the sandbox, removes its record and returns it as Terminated.
  Result<sandbox::Sandbox> deprovision(const std::string& id_or_name);
  struct Outcome {
    std::vector<sandbox::Sandbox> deprovisioned;
    std::vector<std::pair<std::string, Error>> failed;  // id, why
  };
  // Deprovisions every sandbox the selector matches (an empty selector matches all).
  Outcome deprovision_matching(const sandbox::Selector& selector);
  // The agent of a Running sandbox, for the gateway's proxy.
  Result<AgentRoute> agent_route(const std::string& id_or_name);
  // Restarts the idle clock and moves expires_at to now + ttl_seconds.
  Result<sandbox::Sandbox> keepalive(const std::string& id_or_name);
  // Tears down every Running sandbox past its TTL or idle timeout (reason "ttl" or "idle"),
  // keeping a Terminated record, and every one whose agent died (Failed, "agent-exit");
  // forgets records reaped longer ago than tombstone_seconds. Returns how many it reaped.
  int reap_due(std::chrono::system_clock::time_point now);
  // After a restart: keeps what is alive, marks the rest Failed and cleans it up, and stops
  // the sandboxes the runtime has that no record names (orphans).
  void adopt_all();
  // Starts pooled sandboxes until every wanted pool is full (the refiller's tick).
  void refill_pools();
  // Tears down every pooled sandbox nobody claimed (a graceful shutdown; after a crash they
  // are re-adopted instead).
  void drain_pools();
  // Keeps a pool for this spec from now on, before anyone asks for one.
  void want_pool(sandbox::SandboxSpec spec);
  // Pools shared by every replica (kubernetes): see WarmPool::share.
  void share_pools(WarmPool::Lister lister) { pool_.share(std::move(lister)); }
  std::string runtime_name() const { return runtime_.name(); }
  // Whether a spawn of this spec would pull its image first (it is not on the server).
  bool needs_pull(const sandbox::SandboxSpec& spec) { return runtime_.needs_pull(spec); }
  // Sandboxes this replica reaped since it started, by reason (ttl, idle, agent-exit).
  std::map<std::string, std::uint64_t> reaped_by_reason() const;
  // Whether spawns can succeed now (the runtime's own check, then the store's: a full disk),
  // and why not.
  Result<void> ready();

 private:
  mutable std::mutex reaped_mutex_;
  std::map<std::string, std::uint64_t> reaped_by_reason_;
  // Marks a sandbox busy for the scope of a call; its end counts as activity.
  class Busy {
   public:
    Busy(SandboxService& service, std::string id);
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    SandboxService& service_;
    std::string id_;
  };

  Result<Record> running(const std::string& id_or_name);
  // The record, unless it does not exist or is a pooled sandbox nobody has claimed.
  Result<Record> visible(const std::string& id_or_name);
  Result<Record> start_record(sandbox::SandboxSpec spec, const std::string& pool);
  Result<void> admit(sandbox::SandboxSpec& spec);
  void release_tombstone_name(const std::string& name);
  Error name_conflict(const std::string& name, Error error);
  // The record, Starting, or Pulling when `pulling`.
  Result<Record> insert_record(sandbox::SandboxSpec spec, const std::string& pool,
                               bool pulling = false);
  // A Pulling record's image, then the record Starting.
  Result<void> pull_record(Record& record, bool keep_failure);
  Result<Record> place_record(Record record, bool keep_failure);
  // A start that failed: the record goes, or with keep_failure stays Failed with the reason.
  void abandon(Record& record, const Error& error, bool keep_failure);
  // Hands a pooled sandbox to a spawn request: its env and workdir go to the agent.
  Result<sandbox::Sandbox> claim(const std::string& id, const sandbox::SandboxSpec& spec);
  // POST /configure to a sandbox's agent: what a spec adds after start (env and workdir of a
  // claim, the stdio MCP servers to bridge).
  Result<void> configure_agent(const std::string& id, const nlohmann::json& runtime_data,
                               const nlohmann::json& body);
  void readopt_pooled(const Record& record);
  void stop_orphans(const std::set<std::string>& known);
  static bool is_pooled(const Record& record) { return !record.pool.empty(); }
  void touch(const std::string& id);
  // The sandbox with its in-memory last activity filled in.
  sandbox::Sandbox with_activity(sandbox::Sandbox sandbox);
  void terminate(Record record, const std::string& reason);
  // Marks the record Terminating and takes the sandbox down; on failure the record is Failed
  // ("teardown-failed") and the reaper retries until it is down. Its agent connections and idle
  // clock are forgotten either way.
  Result<void> tear_down(Record& record);
  // Leaves the record Failed ("teardown-failed") for the reaper to retry (not stored here).
  void mark_teardown_failed(Record& record, const Error& error);
  // The reaper's retry of a teardown that failed, after its back-off.
  void retry_teardown(Record record, std::chrono::system_clock::time_point now);
  void forget_activity(const std::string& id);
  bool idle_at_agent(const Record& record, std::chrono::system_clock::time_point now);
  std::chrono::system_clock::time_point now() const;

  Store& store_;
  Runtime& runtime_;
  ServiceOptions options_;
  WarmPool pool_;
  // Last exec/keepalive per sandbox. In memory only: after a restart the idle clock restarts.
  std::mutex activity_mutex_;
  std::unordered_map<std::string, std::chrono::system_clock::time_point> activity_;
  std::unordered_map<std::string, int> in_flight_;
  std::atomic<std::uint64_t> reap_passes_{0};
};

}  // namespace hive::server
