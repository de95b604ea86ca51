// One run at a time per key: a caller that finds its key in flight waits for that run and
// shares its outcome (two spawns of one uncached image make one pull; two images with a layer
// in common, one download of it).
#pragma once

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "hive/error.hpp"

namespace hive::server::images {

template <typename T>
class SingleFlight {
 public:
  // work() runs here unless another caller's run of `key` is under way; then `joined` is
  // called and that run's outcome returned.
  Result<T> run(const std::string& key, const std::function<Result<T>()>& work,
                const std::function<void()>& joined = {}) {
    std::promise<Result<T>> promise;
    std::shared_future<Result<T>> pending;
    {
      std::lock_guard lock(mutex_);
      if (auto it = flights_.find(key); it != flights_.end()) {
        pending = it->second;
      } else {
        flights_.emplace(key, promise.get_future().share());
      }
    }
    if (pending.valid()) {
      if (joined) joined();
      return pending.get();
    }
    Result<T> result = work();
    {
      std::lock_guard lock(mutex_);
      flights_.erase(key);
    }
    promise.set_value(result);
    return result;
  }

  std::set<std::string> keys() const {
    std::lock_guard lock(mutex_);
    std::set<std::string> out;
    for (const auto& [key, flight] : flights_) out.insert(key);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_future<Result<T>>> flights_;
};

}  // namespace hive::server::images
