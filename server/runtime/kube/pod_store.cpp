#include "runtime/kube/pod_store.hpp"

#include <set>

#include "hive/sandbox/codec.hpp"

namespace hive::server::kube {
namespace {

using nlohmann::json;
using sandbox::State;
using server::Record;

// A removed sandbox stays hidden this long at most, in case its DELETED event never comes.
constexpr std::chrono::seconds kHideRemoved{120};

// Kubernetes writes whole seconds ("...:07Z"); Hive's records carry milliseconds (and its
// reaper reads only that form).
std::string with_millis(std::string time) {
  if (time.size() == 20 && time.back() == 'Z') time.insert(19, ".000");
  return time;
}

std::string ready_since(const json& pod) {
  for (const auto& c : pod["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return with_millis(c.value("lastTransitionTime", ""));
  }
  return "";
}

State state_of(const json& pod, std::string& reason) {
  if (pod_deleting(pod)) return State::Terminating;
  const std::string phase = pod_phase(pod);
  if (phase == "Failed" || phase == "Succeeded") {
    reason = "agent-exit";
    return State::Failed;
  }
  if (pod_ready(pod) && !pod_ip(pod).empty()) return State::Running;
  return State::Starting;
}

// A record this replica holds gives way to the Pod's once the watch has caught up: a spawn's
// Starting record when the Pod appears, a claim's when the Pod shows it claimed. Local end
// states (Terminating, a tombstone) always win.
bool yields_to_pod(const Record& local, const Record& from_pod) {
  auto state = local.sandbox.state;
  if (state != State::Starting && state != State::Running) return false;
  return from_pod.pool.empty() || !local.pool.empty();
}

}  // namespace

std::optional<Record> record_from_pod(const json& pod) {
  const json& meta = pod["metadata"];
  const json labels = meta.value("labels", json::object());
  const json notes = meta.value("annotations", json::object());
  if (labels.value(kManagedBy, "") != "hive" || !labels.contains(kSandboxId)) return std::nullopt;
  auto spec_json = sandbox::parse_json(notes.value(kSpecAnnotation, "{}"));
  if (!spec_json) return std::nullopt;
  auto spec = sandbox::spec_from_json(*spec_json);
  if (!spec) return std::nullopt;
  Record record;
  auto& sb = record.sandbox;
  sb.id = labels[kSandboxId].get<std::string>();
  sb.spec = std::move(*spec);
  sb.runtime = "kubernetes";
  sb.state = state_of(pod, sb.reason);
  sb.created_at = notes.value(kCreatedAnnotation, with_millis(meta.value("creationTimestamp", "")));
  sb.expires_at = notes.value(kExpiresAnnotation, "");
  if (sb.state == State::Running) {
    sb.ready_at = ready_since(pod);
    sb.last_activity_at = sb.ready_at;
  }
  record.runtime_data = {{"pod", pod_name(pod)},
                         {"ip", pod_ip(pod)},
                         {"node", pod.value("spec", json::object()).value("nodeName", "")}};
  record.version = meta.value("resourceVersion", "");
  record.pool = labels.value(kPoolLabel, "");
  return record;
}

void PodStore::forget_stale() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = removed_.begin(); it != removed_.end();) {
    bool gone = !cache_.get(it->first) && !local_.count(it->first);
    it = (gone || now - it->second > kHideRemoved) ? removed_.erase(it) : std::next(it);
  }
}

std::optional<Record> PodStore::parsed(const json& pod) {
  const json& meta = pod["metadata"];
  const std::string version = meta.value("resourceVersion", "");
  auto& slot = parsed_[meta.value("name", "")];
  if (slot.first != version || version.empty()) slot = {version, record_from_pod(pod)};
  return slot.second;
}

std::vector<Record> PodStore::merged() {
  forget_stale();
  std::map<std::string, Record> by_id;
  std::set<std::string> present;
  cache_.for_each([&](const json& pod) {
    present.insert(pod_name(pod));
    if (auto record = parsed(pod)) by_id[record->sandbox.id] = std::move(*record);
  });
  for (auto it = parsed_.begin(); it != parsed_.end();) {  // Pods gone from the cache
    it = present.count(it->first) ? std::next(it) : parsed_.erase(it);
  }
  for (const auto& [id, record] : local_) {
    auto it = by_id.find(id);
    // A local Starting record yields to its Pod once the watch has it; local end states win.
    if (it != by_id.end() && yields_to_pod(record, it->second)) continue;
    by_id[id] = record;
  }
  std::vector<Record> out;
  for (auto& [id, record] : by_id) {
    if (!removed_.count(id)) out.push_back(std::move(record));
  }
  return out;
}

Result<void> PodStore::insert(const Record& record) {
  std::lock_guard lock(mutex_);
  // A name is checked against what this replica sees; two replicas given the same new name in
  // the same instant can both take it (Pods are named by id, so nothing else collides).
  for (const auto& other : merged()) {
    const auto& sb = other.sandbox;
    if (sb.id == record.sandbox.id ||
        (!record.sandbox.spec.name.empty() && sb.spec.name == record.sandbox.spec.name &&
         !sandbox::is_final(sb.state))) {
      return make_error(Errc::conflict, "sandbox name '" + record.sandbox.spec.name + "' is taken");
    }
  }
  local_[record.sandbox.id] = record;
  return {};
}

Result<void> PodStore::update(const Record& record) {
  const auto& id = record.sandbox.id;
  std::optional<std::string> new_expiry, claim_version;
  {
    std::lock_guard lock(mutex_);
    if (removed_.count(id)) return make_error(Errc::not_found, "sandbox '" + id + "' not found");
    auto pod = cache_.get(id);
    auto current = pod ? parsed(*pod) : std::nullopt;
    if (record.claim_version) {
      // The version the claimant read, not the cache's now: a Pod another replica claimed in
      // between has moved on, and the PATCH gets 409.
      claim_version = record.claim_version;
    } else if (record.sandbox.state == State::Running && current) {
      local_.erase(id);  // the Pod is the record from now on
      if (current->sandbox.expires_at != record.sandbox.expires_at) {
        new_expiry = record.sandbox.expires_at;
      }
    } else {
      local_[id] = record;
    }
  }
  if (claim_version) {  // a warm-pool claim: the one write it costs
    if (claim_version->empty()) return make_error(Errc::conflict, "no resourceVersion for " + id);
    if (auto claimed = runtime_.claim(id, *claim_version, record.sandbox); !claimed) return claimed;
    std::lock_guard lock(mutex_);
    local_[id] = record;  // shown claimed until the watch says so too
    local_[id].claim_version.reset();
    return {};
  }
  if (new_expiry) return runtime_.set_expiry(id, *new_expiry);
  return {};
}

Result<Record> PodStore::get(const std::string& id_or_name) {
  std::lock_guard lock(mutex_);
  // By id without a scan: this is on every exec's path.
  if (!removed_.count(id_or_name)) {
    auto local = local_.find(id_or_name);
    auto pod = cache_.get(id_or_name);
    std::optional<Record> from_pod = pod ? parsed(*pod) : std::nullopt;
    if (local != local_.end() && !(from_pod && yields_to_pod(local->second, *from_pod))) {
      return local->second;
    }
    if (from_pod) return *from_pod;
  }
  for (auto& record : merged()) {
    if (!record.sandbox.spec.name.empty() && record.sandbox.spec.name == id_or_name) return record;
  }
  return make_error(Errc::not_found, "sandbox '" + id_or_name + "' not found");
}

Result<std::vector<Record>> PodStore::list() {
  std::lock_guard lock(mutex_);
  auto records = merged();
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return a.sandbox.created_at < b.sandbox.created_at;
  });
  return records;
}

Result<void> PodStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  local_.erase(id);
  removed_[id] = std::chrono::steady_clock::now();
  return {};
}

}  // namespace hive::server::kube
