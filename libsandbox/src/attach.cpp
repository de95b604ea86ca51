// Client::attach: the WebSocket side of attach (docs/api.md), on Boost.Beast with an io_context of
// its own. The input fd is read on a thread (a terminal, a pipe or a file alike) that hands what it
// reads to the io thread; every write to the socket happens on the io thread, in order.
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>
#include <thread>

#include "hive/sandbox/attach_protocol.hpp"
#include "hive/sandbox/client.hpp"
#include "hive/sandbox/url.hpp"
#include "transport.hpp"

namespace hive::sandbox {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct Address {
  std::string host, port;
};

Result<Address> address_of(const std::string& server) {
  const std::string scheme = "http://";
  if (server.rfind(scheme, 0) != 0) {
    return make_error(Errc::invalid_argument,
                      "attach needs an http:// server address, not '" + server + "'");
  }
  std::string rest = server.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return Address{rest, "80"};
  return Address{rest.substr(0, colon), rest.substr(colon + 1)};
}

std::string attach_target(const std::string& id, const AttachOptions& o, int cols, int rows) {
  std::string target = "/v1/sandboxes/" + escape_segment(id) +
                       "/attach?tty=" + (o.tty ? "true" : "false") +
                       "&cols=" + std::to_string(cols) + "&rows=" + std::to_string(rows);
  for (const auto& arg : o.command) target += "&command=" + percent_encode(arg);
  for (const auto& [key, value] : o.env) target += "&env=" + percent_encode(key + "=" + value);
  if (!o.cwd.empty()) target += "&cwd=" + percent_encode(o.cwd);
  return target;
}

bool window_size(int fd, int& cols, int& rows) {
  struct winsize size {};
  if (fd < 0 || ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return false;
  cols = size.ws_col;
  rows = size.ws_row;
  return true;
}

class Session {
 public:
  Session(asio::io_context& io, websocket::stream<beast::tcp_stream>& ws, const AttachOptions& o)
      : io_(io), ws_(ws), options_(o), winch_(io) {}

  // Queues a message for the server; io thread only.
  void send(std::string message) {
    pending_.push_back(std::move(message));
    if (!writing_) write_next();
  }

  void start() {
    read_next();
    if (options_.window_fd >= 0) {
      winch_.add(SIGWINCH);
      watch_window();
    }
  }

  std::optional<ExecResult> result;
  std::optional<Error> failure;

 private:
  void write_next() {
    if (pending_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.async_write(asio::buffer(pending_.front()), [this](beast::error_code ec, std::size_t) {
      pending_.pop_front();
      if (ec) {
        writing_ = false;
        return;
      }
      write_next();
    });
  }

  void read_next() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        closed_ = true;
        if (!result && ec != websocket::error::closed) {
          failure = make_error(Errc::transport, "connection to the sandbox lost: " + ec.message());
        }
        winch_.cancel();
        return;
      }
      std::string message = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      on_message(message);
      read_next();
    });
  }

  void on_message(const std::string& message) {
    if (message.empty()) return;
    std::string_view payload = std::string_view(message).substr(1);
    switch (static_cast<unsigned char>(message[0])) {
      case kAttachStdout:
        if (options_.on_stdout) options_.on_stdout(payload);
        break;
      case kAttachStderr:
        if (options_.on_stderr) options_.on_stderr(payload);
        break;
      case kAttachStatus: {
        auto json = parse_json(payload, 2);
        ExecResult status;
        if (json && json->is_object()) {
          status.exit_code = json->value("exit_code", 0);
          status.signal = json->value("signal", 0);
        }
        result = status;
        break;
      }
      default:
        break;
    }
  }

  void watch_window() {
    winch_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      int cols = 0, rows = 0;
      if (window_size(options_.window_fd, cols, rows)) {
        send(std::string(1, static_cast<char>(kAttachResize)) +
             sandbox::dump(Json{{"cols", cols}, {"rows", rows}}));
      }
      watch_window();
    });
  }

  asio::io_context& io_;
  websocket::stream<beast::tcp_stream>& ws_;
  const AttachOptions& options_;
  asio::signal_set winch_;
  beast::flat_buffer buffer_;
  std::deque<std::string> pending_;
  bool writing_ = false, closed_ = false;
};

// Reads input_fd until EOF or until woken through `wake`, handing each piece to the session.
void pump_input(int input_fd, int wake, asio::io_context& io, Session& session) {
  std::string buffer(32 << 10, '\0');
  for (;;) {
    pollfd fds[2] = {{input_fd, POLLIN, 0}, {wake, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;  // the session is over
    ssize_t n = read(input_fd, buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    std::string message(1, static_cast<char>(n > 0 ? kAttachStdin : kAttachClose));
    if (n > 0) {
      message.append(buffer.data(), static_cast<std::size_t>(n));
    } else {
      message.push_back('\0');  // stdin EOF
    }
    asio::post(io, [&session, message = std::move(message)]() mutable {
      session.send(std::move(message));
    });
    if (n <= 0) return;
  }
}

}  // namespace

Result<ExecResult> Client::attach(const std::string& id, const AttachOptions& options) {
  const ClientOptions& client = transport_->options();
  auto address = address_of(client.server);
  if (!address) return address.error();
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::error_code ec;
  auto endpoints = tcp::resolver(io).resolve(address->host, address->port, ec);
  if (!ec) {
    beast::get_lowest_layer(ws).expires_after(client.connect_timeout);
    beast::get_lowest_layer(ws).connect(endpoints, ec);
  }
  if (ec) {
    return make_error(Errc::transport,
                      "cannot reach hive-server at " + client.server + ": " + ec.message());
  }
  // The handshake is a request like any other: a server that never answers it must not hang
  // us. The session after it is a stream, with no deadline.
  if (client.request_timeout.count() > 0) {
    beast::get_lowest_layer(ws).expires_after(client.request_timeout);
  } else {
    beast::get_lowest_layer(ws).expires_never();
  }
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ec);
  const std::string token = client.token;
  ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
    if (!token.empty()) request.set(beast::http::field::authorization, "Bearer " + token);
  }));
  int cols = options.cols, rows = options.rows;
  window_size(options.window_fd, cols, rows);
  websocket::response_type response;
  ws.handshake(response, address->host + ":" + address->port,
               attach_target(id, options, cols, rows), ec);
  if (ec) {
    if (response.result_int() >= 400) {
      return error_from_body(response.body(),
                             response.result_int() == 404 ? Errc::not_found : Errc::agent_error);
    }
    if (ec == beast::error::timeout) {
      return make_error(Errc::transport, "server " + client.server + " did not answer within " +
                                             seconds_text(client.request_timeout));
    }
    return make_error(Errc::transport, "attach to " + id + " failed: " + ec.message());
  }
  beast::get_lowest_layer(ws).expires_never();
  ws.binary(true);

  Session session(io, ws, options);
  session.start();
  int wake[2] = {-1, -1};
  std::thread input;
  if (options.input_fd >= 0 && pipe2(wake, O_CLOEXEC) == 0) {
    input = std::thread(pump_input, options.input_fd, wake[0], std::ref(io), std::ref(session));
  }
  io.run();
  if (input.joinable()) {
    ssize_t ignored = write(wake[1], "x", 1);
    (void)ignored;
    input.join();
  }
  for (int fd : wake) {
    if (fd >= 0) close(fd);
  }
  if (session.result) return *session.result;
  if (session.failure) return *session.failure;
  return make_error(Errc::transport, "the sandbox closed the session without an exit status");
}

}  // namespace hive::sandbox
