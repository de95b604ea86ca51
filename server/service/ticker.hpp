// A thread that runs a task every period until destroyed: the reaper (a few times a second,
// so a sandbox goes well within 2 s of its deadline) and the warm-pool refiller.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hive::server {

class Ticker {
 public:
  Ticker(std::chrono::milliseconds period, std::function<void()> task);
  ~Ticker();  // stops and joins
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  void run();

  std::chrono::milliseconds period_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hive::server
