// Warm pools: sandboxes started ahead of demand, one pool per spec key (image, network,
// resources), so a spawn that matches is a claim — a record update and the per-claim env sent
// to the agent — instead of a cold start. A pool is wanted from the first spawn of its key.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hive/sandbox/types.hpp"

namespace hive::server {

// The pool a spec could be served from, or nullopt when something in it must be set at
// start (ports, MCP servers, placement, the image's command) and so cannot be pooled.
std::optional<std::string> pool_key(const sandbox::SandboxSpec& spec);

// What a pooled sandbox of that key is started with: the keyed fields, defaults elsewhere.
sandbox::SandboxSpec pool_spec(const sandbox::SandboxSpec& spec);

class WarmPool {
 public:
  explicit WarmPool(std::size_t per_key) : per_key_(per_key) {}
  bool enabled() const { return per_key_ > 0; }

  // Kubernetes: pooled sandboxes are Pods every replica sees. The lister gives a key's
  // unclaimed ones (id, ready) and replaces the in-memory lists: take() picks a ready one at
  // random (replicas race for it; the claim's resourceVersion decides), put() has nothing to
  // do, deficits() counts what the cluster has, and take_all() leaves the shared pool alone.
  using Lister = std::function<std::vector<std::pair<std::string, bool>>(const std::string& key)>;
  void share(Lister lister) { lister_ = std::move(lister); }
  bool shared() const { return static_cast<bool>(lister_); }

  // Records demand for a key; the refiller keeps `per_key` ready from then on.
  void want(const std::string& key, const sandbox::SandboxSpec& spec);
  std::optional<std::string> take(const std::string& key);
  void put(const std::string& key, std::string id);
  // Empties every pool, returning what was in them.
  std::vector<std::string> take_all();
  // One spec per sandbox missing from a pool.
  std::vector<std::pair<std::string, sandbox::SandboxSpec>> deficits();

 private:
  std::size_t per_key_;
  Lister lister_;
  std::mutex mutex_;
  std::map<std::string, std::deque<std::string>> ready_;
  std::map<std::string, sandbox::SandboxSpec> wanted_;
};

}  // namespace hive::server
