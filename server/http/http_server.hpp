// A small asynchronous HTTP/1.1 server on Boost.Beast, shared by hive-server (TCP) and
// hive-agent (a Unix socket, or TCP in a Pod). Sessions follow the Beast examples: kept alive
// by shared_from_this, a timeout before every read, a body limit on every parser. Handlers
// answer through a Reply callback, so a slow handler (spawn, exec) never blocks the io thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hive::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Reply)>;

struct Limits {
  std::uint64_t body_bytes = 16 << 20;
  std::uint32_t header_bytes = 16 << 10;
  std::chrono::seconds idle_timeout{60};  // waiting for the next request on a kept-alive socket
};

Response make_response(const Request& request, bhttp::status status, std::string body,
                       const char* content_type = "application/json");

// The JSON error body for a request the parser refused.
std::string rejection_body(beast::error_code ec, bool too_large);

template <class Protocol>
class Session : public std::enable_shared_from_this<Session<Protocol>> {
 public:
  using Stream = beast::basic_stream<Protocol>;
  Session(typename Protocol::socket&& socket, std::shared_ptr<const Handler> handler, Limits limits)
      : stream_(std::move(socket)), handler_(std::move(handler)), limits_(limits) {}

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_read, this->shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(limits_.body_bytes);
    parser_->header_limit(limits_.header_bytes);
    stream_.expires_after(limits_.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    if (ec) return reject(ec);
    stream_.expires_never();  // the handler may take as long as the request asks
    auto self = this->shared_from_this();
    auto executor = stream_.get_executor();
    (*handler_)(parser_->release(), [self, executor](Response response) {
      asio::post(executor, [self, response = std::move(response)]() mutable {
        self->do_write(std::move(response));
      });
    });
  }

  // A request the parser refused (too large, malformed) still gets an answer.
  void reject(beast::error_code ec) {
    Request dummy;
    dummy.version(11);
    bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit;
    auto status = too_large ? bhttp::status::payload_too_large : bhttp::status::bad_request;
    auto response = make_response(dummy, status, rejection_body(ec, too_large));
    response.keep_alive(false);
    do_write(std::move(response));
  }

  void do_write(Response response) {
    response_ = std::make_shared<Response>(std::move(response));
    response_->prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    bhttp::async_write(stream_, *response_,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this(),
                                                 response_->keep_alive()));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec || !keep_alive) return close();
    do_read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_send, ignored);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> response_;
  std::shared_ptr<const Handler> handler_;
  Limits limits_;
};

// Accepts connections on an already-open acceptor and starts a Session for each.
template <class Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  Listener(asio::io_context& io, typename Protocol::acceptor acceptor, Handler handler,
           Limits limits = {})
      : io_(io),
        acceptor_(std::move(acceptor)),
        handler_(std::make_shared<const Handler>(std::move(handler))),
        limits_(limits) {}

  void start() { do_accept(); }

 private:
  void do_accept() {
    acceptor_.async_accept(
        asio::make_strand(io_),
        beast::bind_front_handler(&Listener::on_accept, this->shared_from_this()));
  }

  void on_accept(beast::error_code ec, typename Protocol::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session<Protocol>>(std::move(socket), handler_, limits_)->start();
    do_accept();
  }

  asio::io_context& io_;
  typename Protocol::acceptor acceptor_;
  std::shared_ptr<const Handler> handler_;
  Limits limits_;
};

}  // namespace hive::http
