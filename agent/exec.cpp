#include "exec.hpp"

#include "hive/sandbox/codec.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <map>

#include <boost/asio/write.hpp>

extern char** environ;

namespace hive::agent {
namespace {

namespace asio = boost::asio;
using sandbox::ExecRequest;

// After the command exits, output still in flight gets this long to arrive. A background
// grandchild holding the pipes open must not keep the call waiting forever.
constexpr auto kExecDrainGrace = std::chrono::milliseconds(250);

// Closing a pipe we are done with: nothing is lost if it fails, but agent.log should say so.
void close_pipe(asio::posix::stream_descriptor& pipe, const char* which) {
  boost::system::error_code ec;
  pipe.close(ec);
  if (ec)
    std::fprintf(stderr, "hive-agent: closing a command's %s: %s\n", which, ec.message().c_str());
}

std::vector<std::string> command_argv(const ExecRequest& request) {
  if (!request.argv.empty()) return request.argv;
  return {"/bin/sh", "-c", request.command};
}

}  // namespace

std::vector<std::string> command_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : overrides) merged[key] = value;
  std::vector<std::string> env;
  env.reserve(merged.size());
  for (const auto& [key, value] : merged) env.push_back(key + "=" + value);
  return env;
}

ExecJob::ExecJob(asio::io_context& io, Children& children, ExecRequest request,
                 ExecDefaults defaults, OnDone on_done, Emit emit)
    : io_(io),
      request_(std::move(request)),
      defaults_(std::move(defaults)),
      on_done_(std::move(on_done)),
      emit_(std::move(emit)),
      stdout_(io),
      stderr_(io),
      stdin_(io),
      timeout_(io),
      drain_(io),
      child_(children) {
  // A waited exec holds its output until the end, so it has a cap; a streamed or background one
  // holds none (back-pressure, or a ring of the newest lines), so it has one only if asked.
  if (request_.max_output_bytes > 0) {
    cap_ = request_.max_output_bytes;
  } else if (emit_) {
    cap_ = std::numeric_limits<std::int64_t>::max();
  }
  stdout_.sink = &result_.stdout_data;
  stderr_.sink = &result_.stderr_data;
  stdout_.kind = sandbox::ExecEvent::Kind::Stdout;
  stderr_.kind = sandbox::ExecEvent::Kind::Stderr;
}

namespace {

std::string ndjson(const sandbox::ExecEvent& event) {
  return sandbox::dump(sandbox::to_json(event)) + "\n";
}

}  // namespace

void ExecJob::start() {
  started_ = std::chrono::steady_clock::now();
  CommandSpec command;
  command.argv = command_argv(request_);
  command.env = command_environment(request_.env);
  command.cwd = request_.cwd.empty() ? defaults_.cwd : request_.cwd;
  command.cgroup_fds = defaults_.cgroup_fds;
  auto self = shared_from_this();
  auto stdio =
      child_.spawn(std::move(command), std::nullopt, [self](int status) { self->on_exit(status); });
  if (!stdio) {
    result_.exit_code = stdio.error().exit_code;
    result_.error = stdio.error().message;
    return complete();
  }
  stdout_.pipe.assign(stdio->output.release());
  stderr_.pipe.assign(stdio->errors.release());
  stdin_.assign(stdio->input.release());
  stdout_.open = stderr_.open = true;

  if (emit_) emit_(ndjson({.kind = sandbox::ExecEvent::Kind::Start, .pid = pid()}), [] {});
  read(stdout_);
  read(stderr_);
  if (!request_.stdin_data.empty()) stdin_queue_.push_back(request_.stdin_data);
  stdin_eof_ = !request_.background;  // a background process may be sent more later
  pump_stdin();
  if (request_.timeout_seconds > 0) {
    timeout_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(request_.timeout_seconds)));
    timeout_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->on_timeout();
    });
  }
}

void ExecJob::read(Output& out) {
  auto self = shared_from_this();
  out.pipe.async_read_some(asio::buffer(out.buffer),
                           [self, &out](const boost::system::error_code& ec, std::size_t n) {
                             self->on_read(out, static_cast<bool>(ec), n);
                           });
}

void ExecJob::on_read(Output& out, bool eof, std::size_t n) {
  auto keep = std::min<std::int64_t>(cap_ - out.taken, static_cast<std::int64_t>(n));
  if (keep < static_cast<std::int64_t>(n)) result_.truncated = true;
  out.taken += keep;
  std::string& into = emit_ ? out.pending : *out.sink;
  into.append(out.buffer.data(), static_cast<std::size_t>(keep));
  auto self = shared_from_this();
  auto next = [self, &out, eof] {
    if (!eof) return self->read(out);
    out.open = false;
    close_pipe(out.pipe, out.kind == sandbox::ExecEvent::Kind::Stdout ? "stdout" : "stderr");
    self->finish_if_done();
  };
  const std::size_t ready = eof ? out.pending.size() : sandbox::utf8_boundary(out.pending);
  if (!emit_ || ready == 0) return next();
  sandbox::ExecEvent event{.kind = out.kind, .data = out.pending.substr(0, ready)};
  out.pending.erase(0, ready);
  emit_(ndjson(event), next);
}

void ExecJob::pump_stdin() {
  if (stdin_writing_ || !stdin_.is_open()) return;
  if (stdin_queue_.empty()) {
    if (stdin_eof_) close_pipe(stdin_, "stdin");  // EOF: a command reading stdin must not hang
    return;
  }
  stdin_writing_ = true;
  auto self = shared_from_this();
  asio::async_write(stdin_, asio::buffer(stdin_queue_.front()),
                    [self](const boost::system::error_code& ec, std::size_t) {
                      self->stdin_writing_ = false;
                      self->stdin_queue_.pop_front();
                      if (ec) {  // EPIPE: the command stopped reading; the rest is moot
                        self->stdin_queue_.clear();
                        close_pipe(self->stdin_, "stdin");
                        return;
                      }
                      self->pump_stdin();
                    });
}

bool ExecJob::send_stdin(std::string data, bool eof) {
  if (!stdin_.is_open() || stdin_eof_) return false;
  if (!data.empty()) stdin_queue_.push_back(std::move(data));
  stdin_eof_ = eof;
  pump_stdin();
  return true;
}

bool ExecJob::signal(int sig) { return child_.signal(sig); }

void ExecJob::on_exit(int status) {
  exited_ = true;
  if (WIFSIGNALED(status)) {
    result_.signal = WTERMSIG(status);
    result_.exit_code = 128 + result_.signal;
  } else {
    result_.exit_code = WEXITSTATUS(status);
  }
  result_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started_)
                            .count();
  if (stdout_.open || stderr_.open) {
    auto self = shared_from_this();
    drain_.expires_after(kExecDrainGrace);
    drain_.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      // One of them may have closed already (a background child keeps only stdout open):
      // the throwing cancel() on a closed descriptor once ended the agent.
      boost::system::error_code ignored;
      self->stdout_.pipe.cancel(ignored);
      self->stderr_.pipe.cancel(ignored);
    });
  }
  finish_if_done();
}

void ExecJob::on_timeout() {
  if (exited_) return;
  result_.timed_out = true;
  child_.signal(SIGKILL);  // the whole process group the command leads (setsid)
}

void ExecJob::cancel() { child_.kill_session(); }

void ExecJob::finish_if_done() {
  if (done_ || !exited_ || stdout_.open || stderr_.open) return;
  timeout_.cancel();
  drain_.cancel();
  close_pipe(stdin_, "stdin");
  complete();
}

void ExecJob::complete() {
  done_ = true;
  if (!emit_) return on_done_(std::move(result_));
  auto self = shared_from_this();
  emit_(ndjson({.kind = sandbox::ExecEvent::Kind::Exit, .result = result_}),
        [self] { self->on_done_(std::move(self->result_)); });
}

}  // namespace hive::agent
