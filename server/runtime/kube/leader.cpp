#include "runtime/kube/leader.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

namespace hive::server::kube {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A Lease's MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(micros % 1000000));
  return text;
}

}  // namespace

LeaderElector::LeaderElector(KubeClient& client, std::string namespace_name, std::string lease_name,
                             std::string identity, std::chrono::seconds duration)
    : client_(client),
      path_("/apis/coordination.k8s.io/v1/namespaces/" + namespace_name + "/leases"),
      lease_name_(std::move(lease_name)),
      identity_(std::move(identity)),
      duration_(duration) {}

LeaderElector::~LeaderElector() {
  stop_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leader_) release();
}

void LeaderElector::start() {
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::run() {
  const auto renew_every = duration_ / 3;
  const auto retry_every =
      std::chrono::milliseconds(std::max<long>(500, duration_.count() * 1000 / 5));
  const auto renew_deadline = duration_ * 2 / 3;
  while (!stop_) {
    auto held = try_hold();
    bool was_leader = leader_.load();
    if (held && *held) {
      renewed_at_ = Clock::now();
      leader_ = true;
    } else if (!held || !*held) {
      // Lost, or could not renew in time: stop acting before another may take over.
      if (was_leader && (Clock::now() - renewed_at_ > renew_deadline || (held && !*held))) {
        leader_ = false;
      }
      if (!held) spdlog::warn("leader election: {}", held.error().message);
    }
    if (leader_ != was_leader) {
      spdlog::info("{} is {} the leader (Lease {})", identity_, leader_ ? "now" : "no longer",
                   lease_name_);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(
        lock,
        leader_ ? std::chrono::duration_cast<std::chrono::milliseconds>(renew_every) : retry_every,
        [this] { return stop_.load(); });
  }
}

Result<bool> LeaderElector::try_hold() {
  const std::string now = micro_time();
  auto lease = client_.call("GET", path_ + "/" + lease_name_);
  if (!lease && lease.error().code == Errc::not_found) {
    json fresh = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", lease_name_}}},
                  {"spec",
                   {{"holderIdentity", identity_},
                    {"leaseDurationSeconds", duration_.count()},
                    {"acquireTime", now},
                    {"renewTime", now},
                    {"leaseTransitions", 0}}}};
    auto created = client_.call("POST", path_, &fresh);
    if (!created)
      return created.error().code == Errc::conflict ? Result<bool>(false) : created.error();
    return true;
  }
  if (!lease) return lease.error();
  json spec = lease->value("spec", json::object());
  std::string holder = spec.value("holderIdentity", "");
  std::string record = holder + "@" + spec.value("renewTime", "");
  if (record != seen_record_) {
    seen_record_ = record;
    seen_at_ = Clock::now();
  }
  bool expired = holder.empty() || Clock::now() - seen_at_ > duration_;
  if (holder != identity_ && !expired) return false;
  if (holder != identity_) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = identity_;
  spec["leaseDurationSeconds"] = duration_.count();
  spec["renewTime"] = now;
  (*lease)["spec"] = spec;  // metadata.resourceVersion stays: a concurrent change is a 409
  auto updated = client_.call("PUT", path_ + "/" + lease_name_, &*lease);
  if (!updated)
    return updated.error().code == Errc::conflict ? Result<bool>(false) : updated.error();
  return true;
}

void LeaderElector::release() {
  auto lease = client_.call("GET", path_ + "/" + lease_name_);
  if (!lease || (*lease)["spec"].value("holderIdentity", "") != identity_) return;
  (*lease)["spec"]["holderIdentity"] = "";
  (void)client_.call("PUT", path_ + "/" + lease_name_, &*lease);
}

}  // namespace hive::server::kube
