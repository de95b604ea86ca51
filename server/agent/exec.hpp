// One waited command: exec'd directly (no shell unless the request says `command`), stdin fed
// from the request, stdout and stderr collected separately up to a cap, a timeout that kills
// the command's whole process group. Runs on the agent's single io thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "children.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::agent {

inline constexpr std::int64_t kDefaultOutputCap = 16 << 20;

struct ExecDefaults {
  std::string cwd = "/workspace";  // the sandbox's workdir
};

class ExecJob : public std::enable_shared_from_this<ExecJob> {
 public:
  using OnDone = std::function<void(sandbox::ExecResult)>;

  ExecJob(boost::asio::io_context& io, Children& children, sandbox::ExecRequest request,
          ExecDefaults defaults, OnDone on_done);
  // Starts the command; on_done is called exactly once, possibly before start() returns.
  void start();

 private:
  struct Output {
    explicit Output(boost::asio::io_context& io) : pipe(io) {}
    boost::asio::posix::stream_descriptor pipe;
    std::string* sink = nullptr;
    std::array<char, 65536> buffer{};
    bool open = false;
  };

  void read(Output& out);
  void write_stdin();
  void on_exit(int wait_status);
  void on_timeout();
  void finish_if_done();

  boost::asio::io_context& io_;
  Children& children_;
  sandbox::ExecRequest request_;
  ExecDefaults defaults_;
  OnDone on_done_;
  sandbox::ExecResult result_;
  Output stdout_, stderr_;
  boost::asio::posix::stream_descriptor stdin_;
  boost::asio::steady_timer timeout_, drain_;
  std::chrono::steady_clock::time_point started_;
  std::int64_t cap_ = kDefaultOutputCap;
  pid_t pid_ = -1;
  bool exited_ = false, done_ = false;
};

}  // namespace hive::agent
