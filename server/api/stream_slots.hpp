// A bound on the streams (exec, attach, files, MCP, watch) one token holds open at once, so a
// runaway client or a leaked sandbox token cannot take every connection and worker. Keyed by
// whom the token speaks for: the admin, or one sandbox.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hive::server {

class StreamSlots {
 public:
  explicit StreamSlots(std::size_t per_key) : per_key_(per_key) {}
  // A slot, released when the last copy goes; nullptr when `key` holds them all.
  std::shared_ptr<void> take(const std::string& key);
  std::size_t per_key() const { return per_key_; }

 private:
  struct State {
    std::mutex mutex;
    std::unordered_map<std::string, std::size_t> open;
  };
  std::size_t per_key_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace hive::server
