#include "service/reaper.hpp"

namespace hive::server {

Reaper::Reaper(SandboxService& service, std::chrono::milliseconds period)
    : service_(service), period_(period), thread_([this] { run(); }) {}

Reaper::~Reaper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Reaper::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    service_.reap_due(std::chrono::system_clock::now());
    lock.lock();
  }
}

}  // namespace hive::server
