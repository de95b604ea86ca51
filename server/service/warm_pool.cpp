#include "service/warm_pool.hpp"

#include <random>

namespace hive::server {

std::optional<std::string> pool_key(const sandbox::SandboxSpec& spec) {
  if (!spec.ports.empty() || !spec.mcp_servers.empty() || !spec.node_selector.empty() ||
      !spec.runtime_class.empty() || spec.start) {
    return std::nullopt;
  }
  const auto& r = spec.resources;
  return spec.image + "|" + sandbox::to_string(spec.network) + "|cpu=" + r.cpu +
         "|memory=" + r.memory + "|pids=" + std::to_string(r.pids) + "|disk=" + r.disk;
}

sandbox::SandboxSpec pool_spec(const sandbox::SandboxSpec& spec) {
  sandbox::SandboxSpec pooled;
  pooled.image = spec.image;
  pooled.network = spec.network;
  pooled.resources = spec.resources;
  return pooled;
}

void WarmPool::want(const std::string& key, const sandbox::SandboxSpec& spec) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  wanted_.try_emplace(key, pool_spec(spec));
}

std::optional<std::string> WarmPool::take(const std::string& key) {
  if (lister_) {
    std::vector<std::string> ready;
    for (auto& [id, is_ready] : lister_(key)) {
      if (is_ready) ready.push_back(std::move(id));
    }
    if (ready.empty()) return std::nullopt;
    static thread_local std::minstd_rand random(std::random_device{}());
    return ready[random() % ready.size()];
  }
  std::lock_guard lock(mutex_);
  auto it = ready_.find(key);
  if (it == ready_.end() || it->second.empty()) return std::nullopt;
  std::string id = std::move(it->second.front());
  it->second.pop_front();
  return id;
}

void WarmPool::put(const std::string& key, std::string id) {
  if (lister_) return;
  std::lock_guard lock(mutex_);
  ready_[key].push_back(std::move(id));
}

std::vector<std::string> WarmPool::take_all() {
  if (lister_) return {};
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (auto& [key, ready] : ready_) {
    ids.insert(ids.end(), ready.begin(), ready.end());
    ready.clear();
  }
  return ids;
}

std::vector<std::pair<std::string, sandbox::SandboxSpec>> WarmPool::deficits() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, sandbox::SandboxSpec>> missing;
  for (const auto& [key, spec] : wanted_) {
    std::size_t have = lister_ ? lister_(key).size() : ready_[key].size();
    for (std::size_t i = have; i < per_key_; ++i) missing.emplace_back(key, spec);
  }
  return missing;
}

}  // namespace hive::server
