#include "attach.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "child_process.hpp"
#include "hive/sandbox/attach_protocol.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using http::use_tuple;
using Descriptor = asio::posix::stream_descriptor;
using Queue = asio::experimental::channel<void(boost::system::error_code, std::string)>;
using namespace asio::experimental::awaitable_operators;

// After the process exits, output still in the pipes gets this long (a background child may
// hold them open forever).
constexpr auto kAttachDrainGrace = std::chrono::milliseconds(250);

// The process and the fds the session talks to it through.
struct Session {
  Session(asio::any_io_executor executor, Children& children)
      : input(executor),
        output(executor),
        errors(executor),
        exit(executor, 1),
        queue(executor, 64),
        child(children) {}
  bool tty = true;
  Descriptor input, output, errors;  // under a PTY, input and output are the master
  std::optional<int> status;         // wait status, once reaped
  Queue exit;                        // signalled when reaped
  Queue queue;                       // messages to the client, in order; "" ends
  ChildProcess child;  // last, so gone first: a client that left first gets its process killed
};

std::string default_shell() {
  struct stat st {};
  return stat("/bin/bash", &st) == 0 ? "/bin/bash" : "/bin/sh";
}

int number(const sandbox::Target& target, const char* key, int fallback) {
  std::string text = target.value(key);
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  return std::stoi(text);
}

// Starts the process on a PTY or on pipes; fills the session's descriptors.
Result<void> start(Session& s, const sandbox::Target& target, const ExecDefaults& defaults) {
  CommandSpec spec;
  spec.argv = target.values("command");
  if (spec.argv.empty()) spec.argv = {default_shell()};
  std::map<std::string, std::string> env;
  for (const auto& item : target.values("env")) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(Errc::invalid_argument, "env '" + item + "': expected K=V");
    env[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (s.tty && env.count("TERM") == 0) env["TERM"] = "xterm-256color";
  spec.env = command_environment(env);
  spec.cwd = target.value("cwd", defaults.cwd);
  spec.cgroup_fds = defaults.cgroup_fds;
  std::optional<Terminal> terminal;
  if (s.tty) terminal = Terminal{number(target, "cols", 80), number(target, "rows", 24)};
  auto stdio = s.child.spawn(std::move(spec), terminal, [&s](int status) {
    s.status = status;
    s.exit.try_send(boost::system::error_code{}, std::string());
  });
  if (!stdio) return stdio.error();
  s.input.assign(stdio->input.release());
  s.output.assign(stdio->output.release());
  if (!s.tty) s.errors.assign(stdio->errors.release());
  return {};
}

// One output fd to the queue, each read as one message on `channel`, until EOF (or EIO: a PTY
// whose last slave closed).
asio::awaitable<void> read_output(Session& s, Descriptor& from, sandbox::AttachChannel channel) {
  std::string buffer(32 << 10, '\0');
  while (from.is_open()) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer.data() + 1, buffer.size() - 1),
                                                 use_tuple);
    if (ec) break;
    std::string message(1, static_cast<char>(channel));
    message.append(buffer.data() + 1, n);
    auto [sec] =
        co_await s.queue.async_send(boost::system::error_code{}, std::move(message), use_tuple);
    if (sec) break;
  }
}

// Output until the process has exited and its pipes drained (or the grace ran out); then the
// status message and the end of the queue.
asio::awaitable<void> produce(Session& s) {
  auto executor = co_await asio::this_coro::executor;
  auto exited_then_grace = [&]() -> asio::awaitable<void> {
    if (!s.status) co_await s.exit.async_receive(use_tuple);
    asio::steady_timer grace(executor, kAttachDrainGrace);
    co_await grace.async_wait(use_tuple);
  };
  if (s.tty) {
    co_await (read_output(s, s.output, sandbox::kAttachStdout) || exited_then_grace());
  } else {
    co_await ((read_output(s, s.output, sandbox::kAttachStdout) &&
               read_output(s, s.errors, sandbox::kAttachStderr)) ||
              exited_then_grace());
  }
  if (!s.status) co_await s.exit.async_receive(use_tuple);
  int status = s.status.value_or(0);
  nlohmann::json report{
      {"exit_code", WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status)},
      {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0}};
  co_await s.queue.async_send(
      boost::system::error_code{},
      std::string(1, static_cast<char>(sandbox::kAttachStatus)) + sandbox::dump(report), use_tuple);
  co_await s.queue.async_send(boost::system::error_code{}, std::string(), use_tuple);
}

template <class Ws>
asio::awaitable<void> write_to_client(Session& s, Ws& ws) {
  for (;;) {
    auto [ec, message] = co_await s.queue.async_receive(use_tuple);
    if (ec || message.empty()) break;
    auto [wec, n] = co_await ws.async_write(asio::buffer(message), use_tuple);
    if (wec) co_return;
  }
  // Done: close, and give the client a few seconds to answer the close.
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
  co_await ws.async_close(websocket::close_code::normal, use_tuple);
}

template <class Ws>
asio::awaitable<void> read_from_client(Session& s, Ws& ws) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
    if (ec) co_return;  // closed or gone
    std::string message = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (message.empty()) continue;
    const auto channel = static_cast<unsigned char>(message[0]);
    std::string_view payload = std::string_view(message).substr(1);
    if (channel == sandbox::kAttachStdin && s.input.is_open() && !payload.empty()) {
      auto [wec, wn] = co_await asio::async_write(s.input, asio::buffer(payload), use_tuple);
      if (wec && !s.tty) s.input.close();  // the process stopped reading its stdin
    } else if (channel == sandbox::kAttachResize && s.tty) {
      auto size = sandbox::parse_json(payload, 2);
      if (size && size->is_object()) {
        set_window(s.output.native_handle(), size->value("cols", 80), size->value("rows", 24));
      }
    } else if (channel == sandbox::kAttachClose && payload == std::string_view("\0", 1) &&
               s.input.is_open()) {
      if (s.tty) {
        co_await asio::async_write(s.input, asio::buffer("\x04", 1), use_tuple);  // ^D
      } else {
        s.input.close();
      }
    }
  }
}

}  // namespace

asio::awaitable<bool> serve_attach(http::Exchange& exchange, const sandbox::Target& target,
                                   const ExecDefaults& defaults, Children& children) {
  if (!websocket::is_upgrade(exchange.header())) {
    co_return co_await http::answer_error(
        exchange,
        make_error(Errc::invalid_argument, "/attach is a WebSocket: send Upgrade: websocket"));
  }
  auto executor = co_await asio::this_coro::executor;
  auto session = std::make_shared<Session>(executor, children);
  session->tty = target.value("tty", "true") != "false";
  if (auto started = start(*session, target, defaults); !started) {
    co_return co_await http::answer_error(exchange, started.error());
  }
  websocket::stream<http::Stream&> ws(exchange.stream);
  ws.binary(true);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "hive");
  }));
  auto [ec] = co_await ws.async_accept(exchange.header(), use_tuple);
  if (!ec) {
    co_await ((produce(*session) && write_to_client(*session, ws)) ||
              read_from_client(*session, ws));
  }
  // A client that went away first: the session's end (its ChildProcess) kills what it started.
  co_return false;  // a WebSocket connection carries nothing after it
}

}  // namespace hive::agent
