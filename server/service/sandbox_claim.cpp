// SandboxService's warm-pool half: claiming a pooled sandbox, refilling pools, and taking
// pooled sandboxes back after a restart.
#include <spdlog/spdlog.h>

#include "agent_client/agent_client.hpp"
#include "common/agent_protocol.hpp"
#include "common/ids.hpp"
#include "hive/sandbox/codec.hpp"
#include "service/sandbox_service.hpp"

namespace hive::server {
namespace {

constexpr auto kConfigureTimeout = std::chrono::seconds(5);

}  // namespace

Result<sandbox::Sandbox> SandboxService::claim(const std::string& id,
                                               const sandbox::SandboxSpec& spec) {
  auto record = store_.get(id);
  if (!record) return record.error();
  if (!is_pooled(*record)) {  // a shared pool's Pod another replica took after our lookup
    return make_error(Errc::unavailable, "pooled sandbox " + id + " was claimed meanwhile");
  }
  const std::string key = record->pool;
  release_tombstone_name(spec.name);
  if (!spec.name.empty() && store_.get(spec.name)) {
    pool_.put(key, id);  // untouched: it stays in the pool
    return name_conflict(spec.name, make_error(Errc::conflict, "name taken"));
  }
  auto discard = [&](Error error) -> Result<sandbox::Sandbox> {
    (void)runtime_.stop(id, record->runtime_data);
    (void)store_.remove(id);
    return error;
  };
  const auto now = this->now();
  record->sandbox.spec = spec;
  record->sandbox.created_at = to_rfc3339(now);
  record->sandbox.ready_at = record->sandbox.created_at;
  record->sandbox.last_activity_at = record->sandbox.created_at;
  record->sandbox.expires_at = to_rfc3339(now + std::chrono::seconds(spec.ttl_seconds));
  record->pool.clear();
  // Marks the update as a claim of what this read saw (on Kubernetes: guarded by the Pod's
  // resourceVersion), not as a change to a sandbox already ours.
  record->claim_version = record->version;
  // The claim is the record's update (on Kubernetes one PATCH guarded by resourceVersion):
  // only once it is ours does the agent get the claimant's env.
  if (auto r = store_.update(*record); !r) {
    if (r.error().code == Errc::conflict) {  // another replica won the race: not ours to end
      pool_.put(key, id);                    // (a local pool keeps it)
      return make_error(Errc::unavailable, "claimed meanwhile: " + r.error().message);
    }
    return discard(r.error());
  }
  record->claim_version.reset();
  const bool own_workdir = spec.workdir != sandbox::SandboxSpec{}.workdir;
  if (!spec.env.empty() || own_workdir) {
    // The default workdir is not sent: the sandbox keeps its own (an image's WORKDIR).
    nlohmann::json body{{"env", spec.env}};
    if (own_workdir) body["workdir"] = spec.workdir;
    if (auto r = configure_agent(id, record->runtime_data, body); !r) return discard(r.error());
  }
  touch(id);
  return record->sandbox;
}

Result<void> SandboxService::configure_agent(const std::string& id,
                                             const nlohmann::json& runtime_data,
                                             const nlohmann::json& body) {
  auto endpoint = runtime_.endpoint(id, runtime_data);
  auto reply = call_agent(endpoint, Method::Post, agent_protocol::kConfigurePath,
                          sandbox::dump(body), kConfigureTimeout);
  if (!reply) return reply.error();
  if (reply->status != 200) return sandbox::error_from_body(reply->body, Errc::agent_error);
  return {};
}

void SandboxService::refill_pools() {
  if (options_.may_reap && !options_.may_reap()) return;
  for (auto& [key, spec] : pool_.deficits()) {
    auto record = start_record(spec, key);
    if (!record) {
      spdlog::warn("warm pool {}: {}", key, record.error().message);
      return;  // try again on the next tick rather than spin on a failing spec
    }
    pool_.put(key, record->sandbox.id);
  }
}

void SandboxService::drain_pools() {
  for (const auto& id : pool_.take_all()) {
    auto record = store_.get(id);
    if (!record) continue;
    (void)runtime_.stop(id, record->runtime_data);
    (void)store_.remove(id);
  }
}

void SandboxService::want_pool(sandbox::SandboxSpec spec) {
  apply_default_resources(spec.resources, options_.default_resources);
  if (auto key = pool_key(spec)) pool_.want(*key, spec);
}

void SandboxService::readopt_pooled(const Record& record) {
  const std::string& key = record.pool;
  if (pool_.enabled()) {
    pool_.want(key, record.sandbox.spec);
    pool_.put(key, record.sandbox.id);
    spdlog::info("re-adopted pooled sandbox {}", record.sandbox.id);
    return;
  }
  (void)runtime_.stop(record.sandbox.id, record.runtime_data);
  (void)store_.remove(record.sandbox.id);
}

}  // namespace hive::server
