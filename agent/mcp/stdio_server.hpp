// One stdio MCP server the agent bridges (docs/api.md): started in the sandbox like any
// command (in the `work` cgroup), spoken to in newline-delimited JSON-RPC on its stdin and
// stdout. Requests from many HTTP sessions share it, each under an id of the bridge's own, so
// responses, progress (the progress token is rewritten too) and cancellation find their way
// back. If it exits, calls in flight end as tool errors and the next use starts it again.
#pragma once

#include <deque>
#include <map>
#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "child_process.hpp"
#include "hive/sandbox/mcp.hpp"
#include "tools.hpp"

namespace hive::agent::mcp {

class StdioServer : public std::enable_shared_from_this<StdioServer> {
 public:
  StdioServer(boost::asio::io_context& io, const ExecContext& context,
              sandbox::mcp::StdioServerConfig config);
  ~StdioServer();
  const std::string& name() const { return config_.name; }

  // Starts the server, initializes it and lists its tools, unless it runs already. Callers
  // that arrive while it starts wait for that start.
  boost::asio::awaitable<Result<void>> ensure_running();
  // Its tools as it lists them (names without the prefix).
  const std::vector<Json>& tools() const { return tools_; }
  // A tools/call of one of its tools: its result, or a tool error when it fails or exits.
  boost::asio::awaitable<Json> call(const std::string& tool, ToolCallPtr call);

 private:
  struct Pending;
  enum class State { Stopped, Starting, Running };

  boost::asio::awaitable<Result<void>> start();
  boost::asio::awaitable<Result<Json>> request(std::string method, Json params,
                                               std::shared_ptr<Pending> pending = nullptr);
  boost::asio::awaitable<void> read_stdout();
  boost::asio::awaitable<void> read_stderr();
  void on_message(const Json& message);
  void answer_server_request(const Json& message);
  void send(const Json& message);
  boost::asio::awaitable<void> write_stdin();
  void stopped(const std::string& why);

  boost::asio::io_context& io_;
  const ExecContext& context_;
  sandbox::mcp::StdioServerConfig config_;
  State state_ = State::Stopped;
  boost::asio::steady_timer started_;  // cancelled when a start ends, waking its waiters
  std::chrono::steady_clock::time_point retry_after_{};
  std::string last_error_;
  std::unique_ptr<ChildProcess> child_;  // the current run's; a new one for each start
  int generation_ = 0;  // which run of the server; a stale reader or exit changes nothing
  std::unique_ptr<boost::asio::posix::stream_descriptor> stdin_, stdout_, stderr_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  std::string stderr_tail_;
  std::string exit_reason_;  // how the last run ended, once it was reaped
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, std::shared_ptr<Pending>> pending_;
  std::vector<Json> tools_;
};

}  // namespace hive::agent::mcp
