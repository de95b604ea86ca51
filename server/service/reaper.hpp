// The reaper: a thread that asks the service to reap due sandboxes a few times a second, so a
// sandbox goes within well under 2 s of its deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "service/sandbox_service.hpp"

namespace hive::server {

class Reaper {
 public:
  explicit Reaper(SandboxService& service,
                  std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~Reaper();  // stops and joins
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

 private:
  void run();

  SandboxService& service_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hive::server
