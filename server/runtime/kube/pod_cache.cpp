#include "runtime/kube/pod_cache.hpp"

#include <spdlog/spdlog.h>

#include "hive/sandbox/url.hpp"

namespace hive::server::kube {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{250};
constexpr milliseconds kMaxBackoff{30000};
// The server ends each watch after this long; it is then resumed from the last version.
constexpr int kWatchSeconds = 240;

// What the cache keeps of a Pod: managedFields are most of its size and never read.
json trimmed(json pod) {
  if (pod.contains("metadata")) pod["metadata"].erase("managedFields");
  return pod;
}

std::string version_of(const json& object) {
  const auto& meta = object.value("metadata", json::object());
  return meta.is_object() ? meta.value("resourceVersion", "") : "";
}

}  // namespace

namespace {

// A field of a Pod as an object, empty when absent or of another type.
const json& part(const json& pod, const char* field) {  // no copy: called in loops
  static const json empty = json::object();
  if (!pod.is_object() || !pod.contains(field) || !pod[field].is_object()) return empty;
  return pod[field];
}

std::string text(const json& object, const char* field) {
  return object.contains(field) && object[field].is_string() ? object[field].get<std::string>()
                                                             : "";
}

}  // namespace

std::string pod_name(const json& pod) { return text(part(pod, "metadata"), "name"); }
std::string pod_phase(const json& pod) { return text(part(pod, "status"), "phase"); }
std::string pod_ip(const json& pod) { return text(part(pod, "status"), "podIP"); }
bool pod_deleting(const json& pod) { return part(pod, "metadata").contains("deletionTimestamp"); }

bool pod_ready(const json& pod) {
  const json& status = part(pod, "status");
  if (!status.contains("conditions") || !status["conditions"].is_array()) return false;
  const json& conditions = status["conditions"];
  for (const auto& condition : conditions) {
    if (condition.is_object() && text(condition, "type") == "Ready")
      return text(condition, "status") == "True";
  }
  return false;
}

PodCache::PodCache(KubeClient& client, std::string namespace_name, std::string label_selector)
    : client_(client),
      path_("/api/v1/namespaces/" + namespace_name + "/pods"),
      selector_(sandbox::percent_encode(label_selector)) {}

PodCache::~PodCache() {
  stop_ = true;
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PodCache::start() {
  thread_ = std::thread([this] { run(); });
}

bool PodCache::wait_synced(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return synced_; });
}

Result<void> PodCache::health() const {
  std::lock_guard lock(mutex_);
  if (synced_ && following_) return {};
  return last_error_;
}

std::optional<json> PodCache::get(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = pods_.find(name);
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> PodCache::list() const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  out.reserve(pods_.size());
  for (const auto& [name, pod] : pods_) out.push_back(pod);
  return out;
}

void PodCache::for_each(const std::function<void(const json&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, pod] : pods_) visit(pod);
}

bool PodCache::wait_for(const std::string& name, const std::function<bool(const json*)>& done,
                        milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    auto it = pods_.find(name);
    return done(it == pods_.end() ? nullptr : &it->second);
  });
}

// LIST then WATCH, forever: a broken watch resumes from the last resourceVersion it saw; one
// the server calls too old (410) lists again, which also drops Pods deleted while away.
void PodCache::run() {
  milliseconds backoff = kFirstBackoff;
  bool need_list = true;
  while (!stop_) {
    Result<void> step = need_list ? relist() : follow();
    if (step) {
      need_list = false;
      backoff = kFirstBackoff;
      continue;
    }
    if (step.error().code == Errc::conflict) {  // 410 Gone: our version is too old
      need_list = true;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      following_ = false;
      last_error_ = step.error();
    }
    spdlog::warn("Pod cache: {}; retrying in {} ms", step.error().message, backoff.count());
    sleep_backoff(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void PodCache::sleep_backoff(milliseconds delay) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, delay, [this] { return stop_.load(); });
}

Result<void> PodCache::relist() {
  auto listed = client_.call("GET", path_ + "?labelSelector=" + selector_);
  if (!listed) return listed.error();
  std::map<std::string, json> pods;
  if (listed->contains("items") && (*listed)["items"].is_array()) {
    for (auto& pod : (*listed)["items"]) {
      std::string name = pod_name(pod);  // before the move below
      if (!name.empty()) pods.emplace(std::move(name), trimmed(std::move(pod)));
    }
  }
  {
    std::lock_guard lock(mutex_);
    pods_ = std::move(pods);
    resource_version_ = version_of(*listed);
    synced_ = true;
    following_ = true;
  }
  if (relists_++ > 0)
    spdlog::info("Pod cache: listed again at resourceVersion {}", resource_version_);
  changed_.notify_all();
  return {};
}

Result<void> PodCache::follow() {
  std::string version;
  {
    std::lock_guard lock(mutex_);
    version = resource_version_;
  }
  Result<void> gone;
  auto watched = client_.watch(
      path_ +
          "?watch=true&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(kWatchSeconds) +
          "&resourceVersion=" + version + "&labelSelector=" + selector_,
      [&](json event) {
        if (event.value("type", "") == "ERROR") {  // a Status: 410 means relist
          gone = status_error(event["object"].value("code", 500), event["object"], "watch");
          return false;
        }
        apply(event);
        return true;
      },
      stop_);
  if (!watched) return watched;
  {
    std::lock_guard lock(mutex_);
    following_ = true;
  }
  return gone;
}

void PodCache::apply(const json& event) {
  const std::string type = event.value("type", "");
  if (!event.contains("object") || !event["object"].is_object()) return;
  const json& object = event["object"];
  if (type != "BOOKMARK" && pod_name(object).empty()) return;
  {
    std::lock_guard lock(mutex_);
    following_ = true;
    resource_version_ = version_of(object);
    if (type == "ADDED" || type == "MODIFIED") {
      pods_[pod_name(object)] = trimmed(object);
    } else if (type == "DELETED") {
      pods_.erase(pod_name(object));
    }
  }
  if (type != "BOOKMARK") changed_.notify_all();
}

}  // namespace hive::server::kube
