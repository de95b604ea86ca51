// One command: exec'd directly (no shell unless the request says `command`), stdin fed from
// the request, a timeout that kills the command's whole process group. Its output is either
// collected (stdout and stderr apart, up to a cap) for one waited answer, or streamed as
// NDJSON events through an Emit callback that applies back-pressure: the pipes are not read
// again until the last event has been taken. Runs on the agent's single io thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "child_process.hpp"
#include "children.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::agent {

inline constexpr std::int64_t kDefaultOutputCap = 16 << 20;
// The most a waited exec may ask to keep of each of stdout and stderr (a streamed one keeps
// nothing: its cap only bounds what is sent).
inline constexpr std::int64_t kMaxWaitedOutput = kDefaultOutputCap;

struct ExecDefaults {
  std::string cwd = "/workspace";  // the sandbox's workdir
  std::vector<int> cgroup_fds;     // the "work" groups' cgroup.procs every command joins
};

// The agent's environment (the sandbox's env) overlaid with a request's, as "K=V".
std::vector<std::string> command_environment(const std::map<std::string, std::string>& overrides);

class ExecJob : public std::enable_shared_from_this<ExecJob> {
 public:
  using OnDone = std::function<void(sandbox::ExecResult)>;
  // Takes one NDJSON line (newline included); calls `then` once it may produce the next.
  using Emit = std::function<void(std::string line, std::function<void()> then)>;

  ExecJob(boost::asio::io_context& io, Children& children, sandbox::ExecRequest request,
          ExecDefaults defaults, OnDone on_done, Emit emit = {});
  // Starts the command; on_done is called exactly once, possibly before start() returns.
  // When streaming, the exit event has been emitted (and taken) before on_done.
  void start();
  // Kills the command's process group (its caller went away).
  void cancel();
  // Sends a signal to the command's process group; false once it has exited.
  bool signal(int sig);
  // More stdin for a background process (its stdin stays open until eof); false when stdin is
  // closed already.
  bool send_stdin(std::string data, bool eof);
  pid_t pid() const { return child_.pid(); }
  const sandbox::ExecRequest& request() const { return request_; }

 private:
  struct Output {
    explicit Output(boost::asio::io_context& io) : pipe(io) {}
    boost::asio::posix::stream_descriptor pipe;
    sandbox::ExecEvent::Kind kind;
    std::string* sink = nullptr;  // waited: the result's stdout or stderr
    std::string pending;          // streamed: bytes not yet sent (a split UTF-8 character)
    std::int64_t taken = 0;       // bytes kept so far, against the cap
    std::array<char, 65536> buffer{};
    bool open = false;
  };

  void read(Output& out);
  void on_read(Output& out, bool eof, std::size_t n);
  void complete();
  void pump_stdin();
  void on_exit(int wait_status);
  void on_timeout();
  void finish_if_done();

  boost::asio::io_context& io_;
  sandbox::ExecRequest request_;
  ExecDefaults defaults_;
  OnDone on_done_;
  Emit emit_;
  sandbox::ExecResult result_;
  Output stdout_, stderr_;
  boost::asio::posix::stream_descriptor stdin_;
  std::deque<std::string> stdin_queue_;
  bool stdin_writing_ = false, stdin_eof_ = false;
  boost::asio::steady_timer timeout_, drain_;
  std::chrono::steady_clock::time_point started_;
  std::int64_t cap_ = kDefaultOutputCap;
  ChildProcess child_;
  bool exited_ = false, done_ = false;
};

}  // namespace hive::agent
