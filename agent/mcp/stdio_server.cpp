#include "stdio_server.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "child_process.hpp"
#include "common/http/http_server.hpp"

namespace hive::agent::mcp {
namespace {

namespace asio = boost::asio;
using http::use_tuple;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kRetryDelay = std::chrono::seconds(5);        // after a failed start
constexpr auto kExitGrace = std::chrono::milliseconds(100);  // for output still in the pipe
constexpr std::size_t kMaxLine = 16 << 20;
constexpr std::size_t kStderrTail = 2048;
constexpr int kMaxToolPages = 100;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "stopped";
}

}  // namespace

struct StdioServer::Pending {
  explicit Pending(asio::io_context& io) : done(io, 1) {}
  // The response message, or a stand-in {"error": ...} when the server went away.
  asio::experimental::channel<void(boost::system::error_code, Json)> done;
  ToolCallPtr call;  // a tools/call: progress and cancellation
};

StdioServer::StdioServer(asio::io_context& io, const ExecContext& context,
                         sandbox::mcp::StdioServerConfig config)
    : io_(io), context_(context), config_(std::move(config)), started_(io) {}

StdioServer::~StdioServer() = default;  // the child's owner kills a server still running

asio::awaitable<Result<void>> StdioServer::ensure_running() {
  if (state_ == State::Running) co_return Result<void>{};
  if (state_ == State::Starting) {
    co_await started_.async_wait(use_tuple);  // woken when the start in progress ends
    if (state_ == State::Running) co_return Result<void>{};
    co_return make_error(Errc::unavailable, last_error_);
  }
  if (Clock::now() < retry_after_) co_return make_error(Errc::unavailable, last_error_);
  co_return co_await start();
}

asio::awaitable<Result<void>> StdioServer::start() {
  state_ = State::Starting;
  started_.expires_at(Clock::time_point::max());
  const int generation = ++generation_;
  auto self = shared_from_this();
  auto fail = [&](std::string why) -> Result<void> {
    last_error_ = "MCP server '" + config_.name + "' " + why;
    log_line(last_error_);
    stopped(why);
    retry_after_ = Clock::now() + kRetryDelay;
    started_.cancel();
    return make_error(Errc::unavailable, last_error_);
  };

  CommandSpec spec;
  spec.argv.push_back(config_.command);
  spec.argv.insert(spec.argv.end(), config_.args.begin(), config_.args.end());
  spec.env = command_environment(config_.env);
  spec.cwd = config_.cwd;  // (no ?: in coroutines: GCC 12 mishandles their temporaries)
  if (spec.cwd.empty()) spec.cwd = context_.defaults.cwd;
  spec.cgroup_fds = context_.defaults.cgroup_fds;
  child_ = std::make_unique<ChildProcess>(context_.children);
  auto stdio = child_->spawn(std::move(spec), std::nullopt, [self, generation](int status) {
    if (self->generation_ != generation || self->state_ == State::Stopped) return;
    self->exit_reason_ = describe_exit(status);
    auto grace = std::make_shared<asio::steady_timer>(self->io_, kExitGrace);
    grace->async_wait([self, generation, grace](auto) {
      if (self->generation_ == generation) self->stopped(self->exit_reason_);
    });
  });
  if (!stdio) co_return fail("could not start: " + stdio.error().message);
  stdin_ = std::make_unique<asio::posix::stream_descriptor>(io_, stdio->input.release());
  stdout_ = std::make_unique<asio::posix::stream_descriptor>(io_, stdio->output.release());
  stderr_ = std::make_unique<asio::posix::stream_descriptor>(io_, stdio->errors.release());
  stderr_tail_.clear();
  exit_reason_.clear();
  asio::co_spawn(io_, read_stdout(), asio::detached);
  asio::co_spawn(io_, read_stderr(), asio::detached);

  Json client{{"name", "hive-agent"}, {"version", HIVE_VERSION}};
  Json init{
      {"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}, {"clientInfo", client}};
  asio::steady_timer deadline(io_, kStartTimeout);
  using namespace asio::experimental::awaitable_operators;
  auto answered = co_await (request("initialize", init) || deadline.async_wait(use_tuple));
  if (answered.index() == 1) co_return fail("did not answer initialize within 30 s");
  if (auto& r = std::get<0>(answered); !r)
    co_return fail("failed to initialize: " + r.error().message);
  send(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});

  std::vector<Json> tools;
  Json cursor;
  for (int page = 0; page < kMaxToolPages; ++page) {
    Json params = Json::object();
    if (cursor.is_string()) params["cursor"] = cursor;
    auto listed = co_await request("tools/list", params);
    if (!listed) co_return fail("failed to list its tools: " + listed.error().message);
    if (!listed->is_object()) co_return fail("answered tools/list with " + listed->dump());
    const Json& listed_tools = listed->value("tools", Json::array());
    for (const auto& tool : listed_tools) {  // iterating a non-array visits the value itself
      if (tool.is_object() && tool.value("name", Json()).is_string()) tools.push_back(tool);
    }
    cursor = listed->value("nextCursor", Json());
    if (!cursor.is_string()) break;
  }
  if (generation != generation_ || state_ != State::Starting)
    co_return fail("exited while starting");
  tools_ = std::move(tools);
  state_ = State::Running;
  log_line("MCP server '" + config_.name + "' running (pid " + std::to_string(child_->pid()) +
           ", " + std::to_string(tools_.size()) + " tools)");
  started_.cancel();
  co_return Result<void>{};
}

asio::awaitable<Json> StdioServer::call(const std::string& tool, ToolCallPtr call) {
  if (auto running = co_await ensure_running(); !running) {
    co_return tool_error(running.error().message);
  }
  Json params{{"name", tool}, {"arguments", call->arguments}};
  auto pending = std::make_shared<Pending>(io_);
  pending->call = call;
  auto result = co_await request("tools/call", std::move(params), pending);
  if (!result) co_return tool_error(result.error().message);
  co_return std::move(*result);
}

asio::awaitable<Result<Json>> StdioServer::request(std::string method, Json params,
                                                   std::shared_ptr<Pending> pending) {
  if (!stdin_ || !stdin_->is_open()) co_return make_error(Errc::unavailable, last_error_);
  if (!pending) pending = std::make_shared<Pending>(io_);
  const std::int64_t id = next_id_++;
  const ToolCallPtr& call = pending->call;
  if (call && call->progress) params["_meta"]["progressToken"] = id;
  if (call) {
    std::weak_ptr<StdioServer> weak = shared_from_this();
    call->on_cancel = [weak, id] {
      auto self = weak.lock();
      if (!self) return;
      Json cancelled{{"requestId", id}, {"reason", "cancelled by the client"}};
      self->send(
          Json{{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", cancelled}});
      if (auto it = self->pending_.find(id); it != self->pending_.end()) {
        it->second->done.try_send(boost::system::error_code{},
                                  Json{{"error", {{"message", "cancelled"}}}});
      }
    };
  }
  pending_[id] = pending;
  send(Json{{"jsonrpc", "2.0"},
            {"id", id},
            {"method", std::move(method)},
            {"params", std::move(params)}});
  auto [ec, message] = co_await pending->done.async_receive(use_tuple);
  pending_.erase(id);
  if (call) call->on_cancel = nullptr;
  if (ec) co_return make_error(Errc::internal, ec.message());
  if (message.contains("error")) {
    const Json& error = message["error"];
    std::string text = sandbox::dump(error);
    if (error.is_object() && error.value("message", Json()).is_string()) text = error["message"];
    co_return make_error(Errc::agent_error, text);
  }
  co_return message.value("result", Json::object());
}

void StdioServer::on_message(const Json& message) {
  if (!message.is_object()) return;
  const bool has_method = message.contains("method") && message["method"].is_string();
  if (!has_method) {  // a response to one of ours
    const Json& id = message.value("id", Json());
    if (!id.is_number_integer()) return;
    if (auto it = pending_.find(id.get<std::int64_t>()); it != pending_.end()) {
      it->second->done.try_send(boost::system::error_code{}, message);
    }
    return;
  }
  const std::string method = message["method"];
  if (message.contains("id")) return answer_server_request(message);
  if (method == "notifications/progress") {
    Json params = message.value("params", Json::object());
    if (!params.is_object()) return;
    const Json& token = params.value("progressToken", Json());
    if (!token.is_number_integer()) return;
    auto it = pending_.find(token.get<std::int64_t>());
    if (it == pending_.end() || !it->second->call || !it->second->call->progress) return;
    params.erase("progressToken");
    it->second->call->progress(std::move(params));
  }
  // Other notifications (logging, tools/list_changed) are dropped: tools are listed at each
  // start, and a stale list only costs an "unknown tool" from the server itself.
}

// The server asks us something (ping, roots, sampling): we are not a full client.
void StdioServer::answer_server_request(const Json& message) {
  const Json& id = message["id"];
  if (message["method"] == "ping") return send(sandbox::mcp::result_message(id, Json::object()));
  send(sandbox::mcp::error_message(
      id, sandbox::mcp::kMethodNotFound,
      "hive-agent does not offer " + message["method"].get<std::string>()));
}

void StdioServer::send(const Json& message) {
  if (!stdin_ || !stdin_->is_open()) return;
  outbox_.push_back(sandbox::dump(message) + "\n");
  if (!writing_) asio::co_spawn(io_, write_stdin(), asio::detached);
}

asio::awaitable<void> StdioServer::write_stdin() {
  auto self = shared_from_this();
  writing_ = true;
  while (!outbox_.empty() && stdin_ && stdin_->is_open()) {
    std::string line = std::move(outbox_.front());
    outbox_.pop_front();
    auto [ec, n] = co_await asio::async_write(*stdin_, asio::buffer(line), use_tuple);
    if (ec) outbox_.clear();  // it is going away: the reader or the exit will tell
  }
  writing_ = false;
}

asio::awaitable<void> StdioServer::read_stdout() {
  auto self = shared_from_this();
  const int generation = generation_;
  auto* pipe = stdout_.get();
  std::string buffer;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(*pipe, asio::dynamic_buffer(buffer, kMaxLine),
                                                   '\n', use_tuple);
    if (generation != generation_) co_return;
    if (ec) break;
    std::string line = buffer.substr(0, n);
    buffer.erase(0, n);
    auto message = sandbox::parse_json(line);
    try {
      if (message) on_message(*message);  // anything else on stdout is a server's stray log
    } catch (const std::exception& e) {   // a server's odd JSON must not take the agent down
      log_line("MCP server '" + config_.name + "' sent a message we could not use: " + e.what());
    }
  }
  // Its stdout is gone: it cannot answer any more.
  if (child_ && child_->running()) {
    child_->kill_session();  // the exit then reports why
  } else {
    if (exit_reason_.empty()) exit_reason_ = "closed its stdout";
    stopped(exit_reason_);
  }
}

asio::awaitable<void> StdioServer::read_stderr() {
  auto self = shared_from_this();
  const int generation = generation_;
  auto* pipe = stderr_.get();
  std::array<char, 4096> chunk{};
  for (;;) {
    auto [ec, n] = co_await pipe->async_read_some(asio::buffer(chunk), use_tuple);
    if (ec || generation != generation_) co_return;
    stderr_tail_.append(chunk.data(), n);
    if (stderr_tail_.size() > kStderrTail) stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
  }
}

void StdioServer::stopped(const std::string& why) {
  if (state_ == State::Stopped) return;
  state_ = State::Stopped;
  ++generation_;   // readers and exit watchers of this run stand down
  child_.reset();  // killed if it runs still; its exit, if it comes, tells nobody
  std::string message = "MCP server '" + config_.name + "' " + why;
  if (!stderr_tail_.empty()) message += "; its last stderr: " + stderr_tail_;
  log_line(message);
  last_error_ = message;
  for (auto& [id, pending] : pending_) {
    pending->done.try_send(
        boost::system::error_code{},
        Json{{"error", {{"message", message + " (it restarts at the next call)"}}}});
  }
  for (auto* pipe : {&stdin_, &stdout_, &stderr_}) {
    // Closed, not destroyed: a reader may still be suspended on it (it wakes, sees the
    // generation changed, and stands down). The next start replaces them.
    if (*pipe) (*pipe)->close();
  }
  outbox_.clear();
}

}  // namespace hive::agent::mcp
