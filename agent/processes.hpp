// Background processes (docs/api.md): started by POST /exec with "background": true, which
// answers at once with the pid; then, until the sandbox ends:
//
//   GET  /processes                      every process, running or exited
//   GET  /processes/{pid}                one
//   GET  /processes/{pid}/logs[?follow=true]  its output so far as NDJSON exec events
//                                        (the last 4 MiB), then, following, as it comes
//   POST /processes/{pid}/stdin[?eof=true]    the body goes to its stdin
//   POST /processes/{pid}/signal?signal=TERM  to its process group (a name or a number)
//   POST /processes/{pid}/wait           answers when it has exited, with its result
//
// Output is recorded whether or not anyone follows: a background process is never slowed by
// a slow reader (a follower that falls 1,024 events behind is cut off, and can reconnect).
#pragma once

#include <chrono>
#include <map>
#include <memory>

#include "common/http/exchange.hpp"
#include "exec.hpp"
#include "hive/sandbox/url.hpp"

namespace hive::agent {

class Processes {
 public:
  Processes(boost::asio::io_context& io, Children& children);
  // Starts a background process; its start event's JSON (pid) or the reason it did not start.
  Result<nlohmann::json> start(sandbox::ExecRequest request, const ExecDefaults& defaults);
  boost::asio::awaitable<bool> serve(http::Exchange& exchange, const sandbox::Target& target);
  // Background processes not yet exited, and when the last one exited: activity, for the
  // idle reaper (GET /health).
  std::size_t running() const;
  std::chrono::steady_clock::time_point last_exit() const { return *last_exit_; }

 private:
  struct Process;
  boost::asio::awaitable<bool> logs(http::Exchange& exchange, std::shared_ptr<Process> process,
                                    bool follow);
  boost::asio::awaitable<bool> wait(http::Exchange& exchange, std::shared_ptr<Process> process);
  boost::asio::awaitable<bool> stdin(http::Exchange& exchange, std::shared_ptr<Process> process,
                                     bool eof);
  void forget_oldest_exited();

  boost::asio::io_context& io_;
  Children& children_;
  std::map<int, std::shared_ptr<Process>> processes_;
  // Shared with each process's completion, which may outlive a forgotten entry.
  std::shared_ptr<std::chrono::steady_clock::time_point> last_exit_ =
      std::make_shared<std::chrono::steady_clock::time_point>();
};

}  // namespace hive::agent
