// PID 1's duty: reap every child that dies — ours or an orphan reparented to us — and tell
// whoever waits for a particular pid how it ended.
#pragma once

#include <sys/types.h>

#include <functional>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace hive::agent {

class Children {
 public:
  using OnExit = std::function<void(int wait_status)>;

  explicit Children(boost::asio::io_context& io);
  // Calls on_exit (on the io thread) when pid has been reaped; never before watch() returns,
  // so its caller can finish setting up what on_exit will touch.
  void watch(pid_t pid, OnExit on_exit);
  // Reaps everything that has exited so far.
  void reap();

 private:
  void arm();

  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, OnExit> waiting_;
};

}  // namespace hive::agent
