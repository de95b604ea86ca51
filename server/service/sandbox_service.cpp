#include "service/sandbox_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>

#include "agent_client/agent_client.hpp"
#include "common/agent_protocol.hpp"
#include "common/ids.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::server {
namespace {

using sandbox::Sandbox;
using sandbox::State;
using Clock = std::chrono::system_clock;

constexpr int kIdAttempts = 5;
constexpr int kClaimAttempts = 8;
constexpr auto kHealthTimeout = std::chrono::seconds(1);
constexpr const char* kTeardownFailed = "teardown-failed";

bool teardown_pending(const Record& record) {
  return record.sandbox.state == State::Failed && record.sandbox.reason == kTeardownFailed;
}

// After the n-th failed teardown: 1 s, 2 s, 4 s ... up to a minute.
std::chrono::seconds teardown_backoff(int attempts) {
  return std::chrono::seconds(std::min(60, 1 << std::clamp(attempts - 1, 0, 6)));
}

}  // namespace

void apply_default_resources(sandbox::Resources& resources, const sandbox::Resources& defaults) {
  if (resources.cpu.empty()) resources.cpu = defaults.cpu;
  if (resources.memory.empty()) resources.memory = defaults.memory;
  if (resources.pids == 0) resources.pids = defaults.pids;
  if (resources.disk.empty()) resources.disk = defaults.disk;
}

SandboxService::SandboxService(Store& store, Runtime& runtime, ServiceOptions options)
    : store_(store), runtime_(runtime), options_(options), pool_(options.warm_pool_size) {}

Clock::time_point SandboxService::now() const {
  return options_.clock ? options_.clock() : Clock::now();
}

Result<Sandbox> SandboxService::spawn(sandbox::SandboxSpec spec) {
  return spawn(std::move(spec), {});
}

Result<void> SandboxService::ready() {
  if (auto r = runtime_.check(); !r) return r;
  return store_.check();
}

// What a spawn and its dry run both do first: defaults applied, then every check that needs
// no sandbox.
Result<void> SandboxService::admit(sandbox::SandboxSpec& spec) {
  // On a full disk the record might still fit, the sandbox's files would not: say why now.
  if (auto r = store_.check(); !r) return r.error().context("cannot spawn");
  if (spec.ttl_seconds == 0) spec.ttl_seconds = options_.default_ttl_seconds;
  if (spec.idle_timeout_seconds == 0) {
    spec.idle_timeout_seconds = options_.default_idle_timeout_seconds;
  }
  apply_default_resources(spec.resources, options_.default_resources);
  return runtime_.admit(spec);
}

Result<Sandbox> SandboxService::dry_run(sandbox::SandboxSpec spec) {
  if (auto r = admit(spec); !r) return r.error();
  if (!spec.name.empty()) {
    if (auto taken = store_.get(spec.name); taken && !sandbox::is_final(taken->sandbox.state)) {
      return name_conflict(spec.name, make_error(Errc::conflict, "name taken"));
    }
  }
  Sandbox sb;
  sb.spec = std::move(spec);
  sb.runtime = runtime_.name();
  sb.state = State::Starting;
  return sb;
}

Result<Sandbox> SandboxService::spawn(sandbox::SandboxSpec spec, const RunLater& run_later) {
  if (auto r = admit(spec); !r) return r.error();
  if (pool_.enabled()) {
    if (auto key = pool_key(spec)) {
      pool_.want(*key, spec);
      // Bounded: with a shared pool another replica may win each race for a while.
      for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
        auto id = pool_.take(*key);
        if (!id) break;
        auto claimed = claim(*id, spec);
        if (claimed || claimed.error().code == Errc::conflict) return claimed;
        spdlog::warn("pooled sandbox {} not claimed: {}", *id, claimed.error().message);
      }
    }
  }
  if (run_later) {  // wait=false: answer with the record, place it on a worker
    const bool pulls = runtime_.needs_pull(spec);
    auto record = insert_record(std::move(spec), "", pulls);
    if (!record) return record.error();
    run_later(
        [this, record = *record, pulls]() mutable {
          if (pulls) {
            if (auto pulled = pull_record(record, /*keep_failure=*/true); !pulled) {
              spdlog::warn("spawn of {} failed: {}", record.sandbox.id, pulled.error().message);
              return;
            }
          }
          if (auto placed = place_record(record, /*keep_failure=*/true); !placed) {
            spdlog::warn("spawn of {} failed: {}", record.sandbox.id, placed.error().message);
          }
        },
        pulls);
    return record->sandbox;
  }
  auto record = start_record(std::move(spec), "");
  if (!record) return record.error();
  return record->sandbox;
}

Result<Record> SandboxService::insert_record(sandbox::SandboxSpec spec, const std::string& pool,
                                             bool pulling) {
  const auto now = this->now();
  Record record;
  record.sandbox.spec = std::move(spec);
  record.sandbox.runtime = runtime_.name();
  record.sandbox.state = pulling ? State::Pulling : State::Starting;
  record.sandbox.created_at = to_rfc3339(now);
  record.sandbox.expires_at =
      to_rfc3339(now + std::chrono::seconds(record.sandbox.spec.ttl_seconds));
  record.pool = pool;
  release_tombstone_name(record.sandbox.spec.name);
  // The record goes in first: it claims the name, and a crash mid-spawn leaves a trace that
  // adopt_all() cleans up.
  Result<void> inserted = make_error(Errc::internal, "no id");
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    record.sandbox.id = new_sandbox_id();
    inserted = store_.insert(record);
    if (inserted || !record.sandbox.spec.name.empty()) break;
  }
  if (!inserted) return name_conflict(record.sandbox.spec.name, inserted.error());
  return record;
}

// A name in use, said with who holds it and how to free it.
Error SandboxService::name_conflict(const std::string& name, Error error) {
  if (error.code != Errc::conflict || name.empty()) return error;
  auto holder = store_.get(name);
  if (!holder) return error;
  return make_error(Errc::conflict, "a sandbox named '" + name + "' already exists (" +
                                        holder->sandbox.id + ", " +
                                        to_string(holder->sandbox.state) + "); 'hivectl rm " +
                                        name + "' frees the name");
}

// A reaped sandbox's tombstone keeps its reason on view, not its name: a new spawn by that name
// (a retried rollout-1) replaces it, as a kubectl apply after a delete would.
void SandboxService::release_tombstone_name(const std::string& name) {
  if (name.empty()) return;
  auto held = store_.get(name);
  if (!held || !sandbox::is_final(held->sandbox.state) || held->teardown) return;
  if (held->sandbox.spec.name != name) return;  // found by id, not by name
  if (auto r = store_.remove(held->sandbox.id); !r) {
    spdlog::warn("tombstone {} keeps the name '{}': {}", held->sandbox.id, name, r.error().message);
  }
}

Result<Record> SandboxService::start_record(sandbox::SandboxSpec spec, const std::string& pool) {
  const bool pulls = runtime_.needs_pull(spec);
  auto record = insert_record(std::move(spec), pool, pulls);
  if (!record) return record.error();
  if (pulls) {
    if (auto pulled = pull_record(*record, /*keep_failure=*/false); !pulled) return pulled.error();
  }
  return place_record(*record, /*keep_failure=*/false);
}

Result<void> SandboxService::pull_record(Record& record, bool keep_failure) {
  if (auto pulled = runtime_.pull(record.sandbox.spec); !pulled) {
    abandon(record, pulled.error(), keep_failure);
    return pulled.error();
  }
  record.sandbox.state = State::Starting;
  if (auto r = store_.update(record); !r) {
    if (r.error().code != Errc::not_found) return r.error();
    return make_error(Errc::not_found,
                      "sandbox " + record.sandbox.id + " was deleted while its image was pulled");
  }
  return {};
}

void SandboxService::abandon(Record& record, const Error& error, bool keep_failure) {
  if (!keep_failure) {
    (void)store_.remove(record.sandbox.id);
    return;
  }
  record.sandbox.state = State::Failed;
  record.sandbox.reason = error.message;
  (void)store_.update(record);
}

// Starts an inserted record's sandbox. A failure removes the record, or with keep_failure
// (nobody waits for the answer) leaves it Failed with the reason, for the client to see.
Result<Record> SandboxService::place_record(Record record, bool keep_failure) {
  const auto forget = [&](const Error& error) { abandon(record, error, keep_failure); };
  auto placement = runtime_.start(record.sandbox, record.pool);
  if (!placement) {
    forget(placement.error());
    return placement.error();
  }
  record.runtime_data.update(placement->runtime_data);
  if (const auto& servers = record.sandbox.spec.mcp_servers; !servers.empty()) {
    // Handed over now, started by the agent at its first MCP session.
    nlohmann::json body;  // built apart: a braced init list would copy `servers` into an array
    body["mcp_servers"] = servers;
    if (auto r = configure_agent(record.sandbox.id, record.runtime_data, body); !r) {
      (void)runtime_.stop(record.sandbox.id, record.runtime_data);
      forget(r.error());
      return r.error();
    }
  }
  record.sandbox.state = State::Running;
  record.sandbox.ready_at = to_rfc3339(now());
  record.sandbox.last_activity_at = record.sandbox.ready_at;
  if (auto r = store_.update(record); !r) {
    (void)runtime_.stop(record.sandbox.id, record.runtime_data);
    (void)store_.remove(record.sandbox.id);
    return r.error();
  }
  return record;
}

Result<std::vector<Sandbox>> SandboxService::list(std::optional<State> state,
                                                  const sandbox::Selector& selector) {
  auto records = store_.list();
  if (!records) return records.error();
  std::vector<Sandbox> out;
  for (auto& record : *records) {
    if (is_pooled(record)) continue;
    if ((!state || record.sandbox.state == *state) &&
        selector.matches(record.sandbox.spec.labels)) {
      out.push_back(with_activity(std::move(record.sandbox)));
    }
  }
  return out;
}

Result<Record> SandboxService::visible(const std::string& id_or_name) {
  auto record = store_.get(id_or_name);
  if (record && is_pooled(*record)) {
    return make_error(Errc::not_found, "sandbox '" + id_or_name + "' not found");
  }
  return record;
}

Result<Sandbox> SandboxService::get(const std::string& id_or_name) {
  auto record = visible(id_or_name);
  if (!record) return record.error();
  if (record->sandbox.state == State::Running && record->sandbox.reason.empty()) {
    record->sandbox.reason = runtime_.condition(record->sandbox.id, record->runtime_data);
  }
  return with_activity(std::move(record->sandbox));
}

Result<Sandbox> SandboxService::deprovision(const std::string& id_or_name) {
  auto record = visible(id_or_name);
  if (!record) return record.error();
  if (auto r = tear_down(*record); !r) {
    return r.error().context("while deprovisioning " + record->sandbox.id);
  }
  if (auto r = store_.remove(record->sandbox.id); !r) return r.error();
  if (record->sandbox.reason.empty()) record->sandbox.reason = "deleted";
  record->sandbox.state = State::Terminated;
  return record->sandbox;
}

Result<void> SandboxService::tear_down(Record& record) {
  const std::string& id = record.sandbox.id;
  record.sandbox.state = State::Terminating;
  if (auto r = store_.update(record); !r) {
    if (r.error().code == Errc::not_found) return r;  // removed meanwhile
    // Not recorded (a full disk): stop it all the same, for stopping it is what frees the
    // space. A crash before the record goes leaves a dead Running sandbox, which the next
    // start marks Failed.
    spdlog::warn("tearing down {} without recording it Terminating: {}", id, r.error().message);
  }
  forget_agent(runtime_.endpoint(id, record.runtime_data));
  auto stopped = runtime_.stop(id, record.runtime_data);
  forget_activity(id);
  if (!stopped) {
    mark_teardown_failed(record, stopped.error());
    (void)store_.update(record);
  }
  return stopped;
}

// Kept, and retried by the reaper until the sandbox is gone; the reason it was being taken
// down comes back once it is.
void SandboxService::mark_teardown_failed(Record& record, const Error& error) {
  record.teardown = TeardownRetry{record.sandbox.reason.empty() ? "deleted" : record.sandbox.reason,
                                  1, to_rfc3339(now() + teardown_backoff(1))};
  record.sandbox.state = State::Failed;
  record.sandbox.reason = kTeardownFailed;
  spdlog::warn("teardown of sandbox {} failed, will retry: {}", record.sandbox.id, error.message);
}

void SandboxService::forget_activity(const std::string& id) {
  std::lock_guard lock(activity_mutex_);
  activity_.erase(id);
}

SandboxService::Outcome SandboxService::deprovision_matching(const sandbox::Selector& selector) {
  Outcome outcome;
  auto matching = list(std::nullopt, selector);
  if (!matching) {
    outcome.failed.emplace_back("", matching.error());
    return outcome;
  }
  for (const auto& sb : *matching) {
    auto ended = deprovision(sb.id);
    if (ended) {
      outcome.deprovisioned.push_back(std::move(*ended));
    } else if (ended.error().code != Errc::not_found) {  // gone already is fine
      outcome.failed.emplace_back(sb.id, ended.error());
    }
  }
  return outcome;
}

Result<Record> SandboxService::running(const std::string& id_or_name) {
  auto record = visible(id_or_name);
  if (!record) return record.error();
  if (record->sandbox.state != State::Running) {
    std::string why = record->sandbox.reason.empty() ? "" : " (" + record->sandbox.reason + ")";
    return make_error(Errc::conflict, "sandbox " + record->sandbox.id + " is " +
                                          to_string(record->sandbox.state) + why + ", not Running");
  }
  return record;
}

SandboxService::Busy::Busy(SandboxService& service, std::string id)
    : service_(service), id_(std::move(id)) {
  std::lock_guard lock(service_.activity_mutex_);
  ++service_.in_flight_[id_];
}

SandboxService::Busy::~Busy() {
  // A call that outlived its sandbox must not bring back the idle clock of a sandbox gone.
  auto record = service_.store_.get(id_);
  bool running = record && record->sandbox.state == State::Running;
  std::lock_guard lock(service_.activity_mutex_);
  if (--service_.in_flight_[id_] == 0) service_.in_flight_.erase(id_);
  if (running) service_.activity_[id_] = service_.now();
}

void SandboxService::touch(const std::string& id) {
  std::lock_guard lock(activity_mutex_);
  activity_[id] = now();
}

Sandbox SandboxService::with_activity(Sandbox sandbox) {
  std::lock_guard lock(activity_mutex_);
  if (auto it = activity_.find(sandbox.id); it != activity_.end()) {
    sandbox.last_activity_at = to_rfc3339(it->second);
  }
  return sandbox;
}

Result<Sandbox> SandboxService::keepalive(const std::string& id_or_name) {
  auto record = running(id_or_name);
  if (!record) return record.error();
  record->sandbox.expires_at =
      to_rfc3339(now() + std::chrono::seconds(record->sandbox.spec.ttl_seconds));
  if (auto r = store_.update(*record); !r) return r.error();
  touch(record->sandbox.id);
  return with_activity(std::move(record->sandbox));
}

void SandboxService::terminate(Record record, const std::string& reason) {
  record.sandbox.reason = reason;
  auto stopped = tear_down(record);
  if (!stopped && stopped.error().code == Errc::not_found) return;  // deprovisioned meanwhile
  // A sandbox whose agent died did not end as asked: that is a failure, not a termination.
  if (stopped) record.sandbox.state = reason == "agent-exit" ? State::Failed : State::Terminated;
  record.reaped_at = to_rfc3339(now());
  (void)store_.update(record);
  {
    std::lock_guard lock(reaped_mutex_);
    ++reaped_by_reason_[reason];
  }
  spdlog::info("reaped sandbox {} ({})", record.sandbox.id, reason);
}

std::map<std::string, std::uint64_t> SandboxService::reaped_by_reason() const {
  std::lock_guard lock(reaped_mutex_);
  return reaped_by_reason_;
}

int SandboxService::reap_due(Clock::time_point now) {
  if (options_.may_reap && !options_.may_reap()) return 0;
  auto records = store_.list();
  if (!records) return 0;
  // Whether each agent still lives costs a few /proc reads per sandbox: every 8th pass.
  const bool check_agents = reap_passes_++ % 8 == 0;
  int reaped = 0;
  for (auto& record : *records) {
    const Sandbox& sb = record.sandbox;
    if (teardown_pending(record)) {
      retry_teardown(std::move(record), now);
      continue;
    }
    if (is_pooled(record)) continue;  // its clocks start when it is claimed
    if (sandbox::is_final(sb.state)) {
      auto reaped_at = from_rfc3339(record.reaped_at);
      if (reaped_at && now - *reaped_at > std::chrono::seconds(options_.tombstone_seconds)) {
        (void)store_.remove(sb.id);
      }
      continue;
    }
    if (sb.state != State::Running) continue;
    auto expires = from_rfc3339(sb.expires_at);
    Clock::time_point last = from_rfc3339(sb.ready_at).value_or(now);
    bool busy = false;
    {
      std::lock_guard lock(activity_mutex_);
      busy = in_flight_.count(sb.id) != 0;  // a call in flight is activity, never idleness
      if (auto it = activity_.find(sb.id); it != activity_.end()) last = it->second;
    }
    const char* reason = nullptr;
    if (expires && now >= *expires) {
      reason = "ttl";  // even mid-call: a sandbox never outlives expires_at
    } else if (!busy && sb.spec.idle_timeout_seconds > 0 &&
               now - last >= std::chrono::seconds(sb.spec.idle_timeout_seconds) &&
               idle_at_agent(record, now)) {
      reason = "idle";
    } else if (check_agents && runtime_.liveness(sb.id, record.runtime_data) == Liveness::gone) {
      reason = "agent-exit";  // evidence only: a check that could not be made is no answer
    }
    if (reason != nullptr && reason != std::string_view("agent-exit") &&
        runtime_.liveness(sb.id, record.runtime_data) == Liveness::unknown) {
      // A teardown that cannot tell the agent's process from another would leave it running
      // without its directory: wait for a tick that can (out of descriptors now, most likely).
      continue;
    }
    if (reason != nullptr) {
      terminate(std::move(record), reason);
      ++reaped;
    }
  }
  return reaped;
}

// A teardown that failed, tried again once its back-off has passed; on success the record
// ends as the teardown meant it to (a tombstone with the reaper's reason, or gone for a
// deprovision).
void SandboxService::retry_teardown(Record record, Clock::time_point now) {
  const auto& data = record.runtime_data;
  const std::string& id = record.sandbox.id;
  auto& retry = record.teardown;
  if (!retry) retry = TeardownRetry{"deleted", 0, ""};
  auto due = from_rfc3339(retry->retry_at);
  if (due && now < *due) return;
  if (runtime_.liveness(id, data) == Liveness::unknown) return;  // see reap_due
  const int attempts = retry->attempts + 1;
  forget_agent(runtime_.endpoint(id, data));
  if (auto stopped = runtime_.stop(id, data); !stopped) {
    retry->attempts = attempts;
    retry->retry_at = to_rfc3339(now + teardown_backoff(attempts));
    (void)store_.update(record);
    spdlog::warn("teardown of sandbox {} failed again (attempt {}): {}", id, attempts,
                 stopped.error().message);
    return;
  }
  const std::string reason = retry->reason;
  if (record.reaped_at.empty()) {  // a deprovision's, which removes the record
    (void)store_.remove(id);
    spdlog::info("sandbox {} torn down (attempt {}), record removed", id, attempts);
    return;
  }
  retry.reset();
  record.sandbox.state = reason == "agent-exit" ? State::Failed : State::Terminated;
  record.sandbox.reason = reason;
  record.reaped_at = to_rfc3339(now);  // the tombstone's time starts now
  (void)store_.update(record);
  spdlog::info("sandbox {} torn down (attempt {}): {}", id, attempts, reason);
}

// The last word on idleness is the agent's: with several replicas (kubernetes) this one may
// have seen none of the sandbox's calls. Asked only of sandboxes that look idle from here; an
// agent that does not answer leaves this replica's view standing.
bool SandboxService::idle_at_agent(const Record& record, Clock::time_point now) {
  const auto& sb = record.sandbox;
  auto reply = call_agent(runtime_.endpoint(sb.id, record.runtime_data), Method::Get,
                          agent_protocol::kHealthPath, "", kHealthTimeout);
  if (!reply || reply->status != 200) return true;
  auto health = sandbox::parse_json(reply->body);
  if (!health || !health->is_object()) return true;
  const auto& h = *health;
  auto positive = [&h](const char* key) {
    return h.contains(key) && h[key].is_number_integer() && h[key].get<std::int64_t>() > 0;
  };
  // A call another replica serves, or a background process still running, is activity: the
  // idle clock starts again now (and the agent is asked again one idle period later).
  if (positive("active_calls") || positive("running_processes")) {
    std::lock_guard lock(activity_mutex_);
    activity_[sb.id] = now;
    return false;
  }
  if (!h.contains("idle_seconds") || !h["idle_seconds"].is_number_integer()) return true;
  auto seen_last = now - std::chrono::seconds(h["idle_seconds"].get<std::int64_t>());
  if (now - seen_last >= std::chrono::seconds(sb.spec.idle_timeout_seconds)) return true;
  std::lock_guard lock(activity_mutex_);
  activity_[sb.id] = seen_last;  // the idle clock as the agent knows it
  return false;
}

Result<AgentRoute> SandboxService::agent_route(const std::string& id_or_name) {
  auto record = running(id_or_name);
  if (!record) return record.error();
  const auto& id = record->sandbox.id;
  return AgentRoute{id, runtime_.endpoint(id, record->runtime_data),
                    std::make_shared<Busy>(*this, id)};
}

void SandboxService::adopt_all() {
  auto records = store_.list();
  if (!records) {
    spdlog::error("cannot read the sandbox store: {}", records.error().message);
    return;
  }
  std::set<std::string> known;
  for (auto& record : *records) {
    const auto& sb = record.sandbox;
    known.insert(sb.id);
    if (sandbox::is_final(sb.state)) continue;
    auto liveness =
        sb.state == State::Running ? runtime_.liveness(sb.id, record.runtime_data) : Liveness::gone;
    if (liveness == Liveness::unknown) {
      spdlog::warn("cannot tell whether the agent of sandbox {} lives; kept for the reaper", sb.id);
    }
    if (liveness != Liveness::gone) {
      runtime_.adopted(sb.id, record.runtime_data);
      if (is_pooled(record)) {
        readopt_pooled(record);
        continue;
      }
      // Activity is not persisted, and the idle clock does not restart with the server: the
      // reaper's first look finds it idle since it became ready and asks the agent, which
      // knows when its last call ended (idle_at_agent).
      spdlog::info("re-adopted sandbox {}", sb.id);
      continue;
    }
    // A spawn cut off mid-way, or a sandbox whose agent died while we were away.
    if (is_pooled(record)) {
      (void)runtime_.stop(sb.id, record.runtime_data);
      (void)store_.remove(sb.id);
      continue;
    }
    bool was_starting =
        sb.state == State::Starting || sb.state == State::Pulling || sb.state == State::Pending;
    auto stopped = runtime_.stop(sb.id, record.runtime_data);
    if (was_starting && stopped) {
      (void)store_.remove(sb.id);
      spdlog::warn("removed sandbox {}: its spawn was cut off", sb.id);
      continue;
    }
    record.sandbox.state = State::Failed;
    record.sandbox.reason =
        was_starting || sb.state == State::Terminating ? "deleted" : "agent-exit";
    if (!stopped) {
      if (!was_starting) record.reaped_at = to_rfc3339(now());  // then a tombstone
      mark_teardown_failed(record, stopped.error());
    }
    (void)store_.update(record);
    spdlog::warn("sandbox {} is Failed ({}): its agent is gone", sb.id, record.sandbox.reason);
  }
  stop_orphans(known);
}

// Sandboxes the runtime has but the store does not: the store was moved aside or restored
// from an older copy. Nobody can reach them and no TTL ends them, so they go now; the runtime
// data is gone with the record, and stop() derives what it needs from the id.
void SandboxService::stop_orphans(const std::set<std::string>& known) {
  for (const auto& id : runtime_.list_placed()) {
    if (known.count(id) != 0) continue;
    if (auto r = runtime_.stop(id, nlohmann::json::object()); !r) {
      spdlog::error("orphan sandbox {} (no record in the store) not torn down: {}", id,
                    r.error().message);
      continue;
    }
    spdlog::warn("tore down orphan sandbox {}: it ran with no record in the store", id);
  }
}

}  // namespace hive::server
