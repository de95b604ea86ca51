// A clock the test moves by hand, for SandboxService's ServiceOptions::clock: TTLs, idle
// clocks and tombstones then expire when the test says, not after real seconds.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace hive::test {

class FakeClock {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // Starts at the real time, so records stamped with it read naturally in a failure message.
  FakeClock()
      : now_(std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now())) {}
  time_point now() const {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }
  std::function<time_point()> source() {
    return [this] { return now(); };
  }

 private:
  mutable std::mutex mutex_;
  time_point now_;
};

}  // namespace hive::test
