#include "service/sandbox_service.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "gateway/agent_client.hpp"
#include "hive/sandbox/codec.hpp"
#include "service/ids.hpp"

namespace hive::server {
namespace {

using sandbox::Sandbox;
using sandbox::State;
using Clock = std::chrono::system_clock;

constexpr int kIdAttempts = 5;
// An exec without its own timeout may run this long before the gateway gives up waiting.
constexpr auto kUntimedExecLimit = std::chrono::hours(24);
constexpr auto kExecSlack = std::chrono::seconds(10);

}  // namespace

SandboxService::SandboxService(Store& store, runtime::Runtime& runtime, ServiceOptions options)
    : store_(store), runtime_(runtime), options_(options) {}

Result<Sandbox> SandboxService::spawn(sandbox::SandboxSpec spec) {
  if (spec.ttl_seconds == 0) spec.ttl_seconds = options_.default_ttl_seconds;
  if (spec.idle_timeout_seconds == 0) {
    spec.idle_timeout_seconds = options_.default_idle_timeout_seconds;
  }
  auto now = Clock::now();
  Record record;
  record.sandbox.spec = std::move(spec);
  record.sandbox.runtime = runtime_.name();
  record.sandbox.state = State::Starting;
  record.sandbox.created_at = to_rfc3339(now);
  record.sandbox.expires_at =
      to_rfc3339(now + std::chrono::seconds(record.sandbox.spec.ttl_seconds));
  // The record goes in first: it claims the name, and a crash mid-spawn leaves a trace that
  // adopt_all() cleans up.
  Result<void> inserted = make_error(Errc::internal, "no id");
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    record.sandbox.id = new_sandbox_id();
    inserted = store_.insert(record);
    if (inserted || !record.sandbox.spec.name.empty()) break;
  }
  if (!inserted) return inserted.error();

  auto placement = runtime_.start(record.sandbox);
  if (!placement) {
    (void)store_.remove(record.sandbox.id);
    return placement.error();
  }
  record.runtime_data = std::move(placement->runtime_data);
  record.sandbox.state = State::Running;
  record.sandbox.ready_at = now_rfc3339();
  record.sandbox.last_activity_at = record.sandbox.ready_at;
  if (auto r = store_.update(record); !r) {
    (void)runtime_.stop(record.sandbox.id, record.runtime_data);
    (void)store_.remove(record.sandbox.id);
    return r.error();
  }
  return record.sandbox;
}

Result<std::vector<Sandbox>> SandboxService::list(std::optional<State> state) {
  auto records = store_.list();
  if (!records) return records.error();
  std::vector<Sandbox> out;
  for (auto& record : *records) {
    if (!state || record.sandbox.state == *state) out.push_back(std::move(record.sandbox));
  }
  return out;
}

Result<Sandbox> SandboxService::get(const std::string& id_or_name) {
  auto record = store_.get(id_or_name);
  if (!record) return record.error();
  return record->sandbox;
}

Result<Sandbox> SandboxService::deprovision(const std::string& id_or_name) {
  auto record = store_.get(id_or_name);
  if (!record) return record.error();
  record->sandbox.state = State::Terminating;
  (void)store_.update(*record);
  forget_agent(runtime_.endpoint(record->sandbox.id, record->runtime_data));
  if (auto r = runtime_.stop(record->sandbox.id, record->runtime_data); !r) {
    record->sandbox.state = State::Failed;
    record->sandbox.reason = "teardown-failed";
    (void)store_.update(*record);
    return r.error().context("while deprovisioning " + record->sandbox.id);
  }
  if (auto r = store_.remove(record->sandbox.id); !r) return r.error();
  record->sandbox.state = State::Terminated;
  record->sandbox.reason = "deleted";
  return record->sandbox;
}

Result<Record> SandboxService::running(const std::string& id_or_name) {
  auto record = store_.get(id_or_name);
  if (!record) return record.error();
  if (record->sandbox.state != State::Running) {
    return make_error(Errc::conflict, "sandbox " + record->sandbox.id + " is " +
                                          to_string(record->sandbox.state) + ", not Running");
  }
  return record;
}

Result<sandbox::ExecResult> SandboxService::exec(const std::string& id_or_name,
                                                 const sandbox::ExecRequest& request) {
  auto record = running(id_or_name);
  if (!record) return record.error();
  auto endpoint = runtime_.endpoint(record->sandbox.id, record->runtime_data);
  auto limit = request.timeout_seconds > 0
                   ? std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::duration<double>(request.timeout_seconds) + kExecSlack)
                   : std::chrono::duration_cast<std::chrono::milliseconds>(kUntimedExecLimit);
  auto reply = call_agent(endpoint, Method::Post, "/exec", sandbox::to_json(request).dump(), limit);
  if (!reply) return reply.error().context("exec in " + record->sandbox.id);
  if (reply->status != 200) return sandbox::error_from_body(reply->body, Errc::agent_error);
  auto body = sandbox::parse_json(reply->body);
  if (!body) return make_error(Errc::agent_error, "hive-agent sent malformed JSON");
  return sandbox::exec_result_from_json(*body);
}

void SandboxService::adopt_all() {
  auto records = store_.list();
  if (!records) {
    spdlog::error("cannot read the sandbox store: {}", records.error().message);
    return;
  }
  for (auto& record : *records) {
    const auto& sb = record.sandbox;
    if (sandbox::is_final(sb.state)) continue;
    if (sb.state == State::Running && runtime_.alive(sb.id, record.runtime_data)) {
      spdlog::info("re-adopted sandbox {}", sb.id);
      continue;
    }
    // A spawn cut off mid-way, or a sandbox whose agent died while we were away.
    bool was_starting = sb.state == State::Starting || sb.state == State::Pending;
    (void)runtime_.stop(sb.id, record.runtime_data);
    if (was_starting) {
      (void)store_.remove(sb.id);
      spdlog::warn("removed sandbox {}: its spawn was cut off", sb.id);
      continue;
    }
    record.sandbox.state = State::Failed;
    record.sandbox.reason = sb.state == State::Terminating ? "deleted" : "agent-exit";
    (void)store_.update(record);
    spdlog::warn("sandbox {} is Failed ({}): its agent is gone", sb.id, record.sandbox.reason);
  }
}

}  // namespace hive::server
