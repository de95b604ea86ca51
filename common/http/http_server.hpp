// A small asynchronous HTTP/1.1 server on Boost.Beast and C++20 coroutines, shared by
// hive-server (TCP) and hive-agent (a Unix socket, or TCP in a Pod). One coroutine per
// connection reads each request's header first; the Service then either takes the request
// with its body still unread (streams: exec output, files, attach, the gateway's proxy) or
// has the body read within limits and answers through a Reply callback, from any thread, so a
// slow handler (spawn) never blocks an io thread.
#pragma once

#include <cstring>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "admission.hpp"

namespace hive::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using RequestHeader = bhttp::request<bhttp::empty_body>;
using Reply = std::function<void(Response)>;
// TCP and Unix sockets alike.
using Stream = beast::basic_stream<asio::generic::stream_protocol>;

// Completion token for coroutines that look at error codes rather than catch exceptions.
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Limits {
  std::uint64_t body_bytes = 16 << 20;  // for bodies read whole; streams set their own
  std::uint32_t header_bytes = 16 << 10;
  std::chrono::seconds idle_timeout{60};  // waiting for the next request on a kept-alive socket
  // For a request's header and a body read whole; also for the first bytes of a new
  // connection, which is a slow client, not an idle one, while it says nothing.
  std::chrono::seconds request_timeout{60};
};

// Whether the client asked to keep the connection (HTTP/1.1 unless "close", 1.0 if asked).
bool keeps_alive(const bhttp::request_header<>& request);

Response make_response(const bhttp::request_header<>& request, bhttp::status status,
                       std::string body, const char* content_type = "application/json");

// The JSON error body for a request the parser refused.
std::string rejection_body(beast::error_code ec, bool too_large);

// One request on a connection: its header has been read, its body has not.
struct Exchange {
  Stream& stream;
  beast::flat_buffer& buffer;  // bytes read past the header
  bhttp::request_parser<bhttp::empty_body>& parser;
  const Limits& limits;
  const RequestHeader& header() const { return parser.get(); }
  // Whether the request carries a body the handler has not read (then the connection cannot
  // serve another request after an early answer).
  bool body_pending() const { return !parser.is_done(); }
};

// What hive-server's API and hive-agent plug into the HTTP server.
class Service {
 public:
  virtual ~Service() = default;
  // Whether stream() takes this request (body unread, connection owned until it returns)
  // rather than handle().
  virtual bool streams(const RequestHeader& header) = 0;
  // Serves one request; returns whether the connection may carry another one.
  virtual asio::awaitable<bool> stream(Exchange& exchange) = 0;
  // A request read whole (its body within Limits::body_bytes). Call reply exactly once, from
  // any thread.
  virtual void handle(Request&& request, Reply reply) = 0;
};

// Serves requests on a connected socket until the peer closes, goes idle, or a response says
// Connection: close. `slot` (a ConnectionLimit's) is held until then.
asio::awaitable<void> serve(Stream stream, std::shared_ptr<Service> service, Limits limits,
                            std::shared_ptr<void> slot = nullptr);

// What a Listener admits: TCP connections within the caps (none: all of them), and where it
// reports trouble, a line per episode (refusals past a cap, accept() out of descriptors).
struct Admission {
  std::shared_ptr<ConnectionLimit> connections;
  std::function<void(const std::string&)> warn;
};

// io_contexts each run by one thread of their own, connections spread over them: a connection
// lives on one thread from accept to close, so no handler waits on a lock or a wake-up of
// another thread (one shared io_context run by several threads spent most of a proxied
// call's time in such hand-offs).
class IoPool {
 public:
  explicit IoPool(std::size_t threads);
  asio::io_context& first() { return *contexts_.front(); }
  // The next context's executor, round robin.
  asio::any_io_executor next();
  // Runs every context on its own thread until stop(); returns when all have stopped.
  void run();
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::atomic<std::size_t> next_{0};
};

// Accepts connections on an open acceptor (TCP or Unix) and serves each on an executor from
// `executors` (one context's, so one thread's). Past a cap of `admission` a connection is
// answered 503 and closed at once rather than queued; when accept() fails for want of
// descriptors it pauses (50 ms, doubling to 1 s) instead of spinning on the ready listener.
template <class Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  using Executors = std::function<asio::any_io_executor()>;
  Listener(typename Protocol::acceptor acceptor, Executors executors,
           std::shared_ptr<Service> service, Limits limits = {}, Admission admission = {})
      : acceptor_(std::move(acceptor)),
        pause_(acceptor_.get_executor()),
        executors_(std::move(executors)),
        service_(std::move(service)),
        limits_(limits),
        admission_(std::move(admission)) {}

  void start() { do_accept(); }

 private:
  void do_accept() {
    acceptor_.async_accept(
        executors_(), beast::bind_front_handler(&Listener::on_accept, this->shared_from_this()));
  }

  static constexpr auto kFirstPause = std::chrono::milliseconds(50);
  static constexpr auto kLongestPause = std::chrono::seconds(1);

  void on_accept(beast::error_code ec, typename Protocol::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec && out_of_resources(ec)) return pause(ec);
    pause_for_ = kFirstPause;
    std::shared_ptr<void> slot;
    if (!ec && !admit(socket, slot)) {
      refuse(socket.native_handle());
      if (refusals_.occur()) {
        warn("connection cap reached (" + std::to_string(admission_.connections->open()) +
             " open; at most " + std::to_string(admission_.connections->caps().total) +
             " in total, " + std::to_string(admission_.connections->caps().per_address) +
             " per address): new connections are answered 503 until it clears "
             "(logged once per episode)");
      }
      do_accept();
      return;  // the socket closes here
    }
    if (!ec) {
      if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
        socket.set_option(asio::ip::tcp::no_delay(true), ec);  // answers go out at once
      }
      auto protocol = socket.local_endpoint(ec).protocol();
      auto executor = socket.get_executor();
      asio::generic::stream_protocol::socket generic(
          executor, asio::generic::stream_protocol(protocol.family(), protocol.protocol()),
          socket.release(ec));
      if (!ec) {
        asio::co_spawn(executor,
                       serve(Stream(std::move(generic)), service_, limits_, std::move(slot)),
                       asio::detached);
      }
    }
    do_accept();
  }

  // Takes a slot for a TCP connection within the caps; false past one.
  bool admit(typename Protocol::socket& socket, std::shared_ptr<void>& slot) {
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
      if (!admission_.connections) return true;
      beast::error_code ec;
      auto peer = socket.remote_endpoint(ec);
      if (ec) return true;  // gone already: its first read ends it
      slot = admission_.connections->admit(peer.address());
      return slot != nullptr;
    } else {
      return true;
    }
  }

  // The listener stays readable while accept() fails, so accepting again at once would spin
  // at full CPU: wait for descriptors to free up, the pending connections kept in the backlog.
  void pause(beast::error_code ec) {
    if (exhausted_.occur()) {
      // strerror, not ec.message(): at EMFILE the sanitizers' runtime cannot open what it needs
      // to check a virtual call's type, and aborted the ASan build on this line.
      warn(std::string("accept: ") + std::strerror(ec.value()) +
           ": pausing accepts (50 ms, doubling to 1 s) until descriptors free up (logged once "
           "per episode)");
    }
    pause_.expires_after(pause_for_);
    pause_for_ = std::min<std::chrono::steady_clock::duration>(pause_for_ * 2, kLongestPause);
    pause_.async_wait([self = this->shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
  }

  void warn(const std::string& line) {
    if (admission_.warn) admission_.warn(line);
  }

  typename Protocol::acceptor acceptor_;
  asio::steady_timer pause_;
  std::chrono::steady_clock::duration pause_for_ = kFirstPause;
  Executors executors_;
  std::shared_ptr<Service> service_;
  Limits limits_;
  Admission admission_;
  Episode refusals_, exhausted_;
};

}  // namespace hive::http
