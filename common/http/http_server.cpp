#include "http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <thread>

#include "exchange.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::http {
namespace {

bool is_quiet_close(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == asio::error::operation_aborted;
}

// Service::handle's Reply callback as an awaitable: resumes the session on its own strand.
template <class Token>
auto async_handle(Service& service, Request request, Token&& token) {
  return asio::async_initiate<Token, void(Response)>(
      [&service](auto handler, Request request) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        service.handle(std::move(request), [shared](Response response) {
          auto executor = asio::get_associated_executor(*shared);
          asio::dispatch(executor, [shared, response = std::move(response)]() mutable {
            (*shared)(std::move(response));
          });
        });
      },
      token, std::move(request));
}

asio::awaitable<bool> serve_whole(Exchange& exchange, Service& service) {
  auto request = co_await read_whole(exchange, exchange.limits.body_bytes);
  if (!request) co_return false;  // read_whole answered already
  Response response = co_await async_handle(service, std::move(*request), asio::use_awaitable);
  co_return co_await send(exchange.stream, std::move(response));
}

}  // namespace

IoPool::IoPool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
}

asio::any_io_executor IoPool::next() {
  return contexts_[next_.fetch_add(1) % contexts_.size()]->get_executor();
}

void IoPool::run() {
  std::vector<std::thread> threads;
  for (auto& context : contexts_) {
    threads.emplace_back([&context] {
      auto busy = asio::make_work_guard(*context);  // idle until stop(), not until out of work
      context->run();
    });
  }
  for (auto& thread : threads) thread.join();
}

void IoPool::stop() {
  for (auto& context : contexts_) context->stop();
}

bool keeps_alive(const bhttp::request_header<>& request) {
  bhttp::token_list connection{request[bhttp::field::connection]};
  if (request.version() >= 11) return !connection.exists("close");
  return connection.exists("keep-alive");
}

Response make_response(const bhttp::request_header<>& request, bhttp::status status,
                       std::string body, const char* content_type) {
  Response response{status, request.version()};
  response.set(bhttp::field::server, "hive");
  response.set(bhttp::field::content_type, content_type);
  response.keep_alive(keeps_alive(request));
  response.body() = std::move(body);
  return response;
}

std::string rejection_body(beast::error_code ec, bool too_large) {
  Error error{too_large ? Errc::payload_too_large : Errc::invalid_argument,
              "bad HTTP request: " + ec.message()};
  if (ec == beast::error::timeout) {
    error = {Errc::timeout, "the request did not arrive in time (hive-server --request-timeout)"};
  }
  return sandbox::dump(sandbox::to_json(error));
}

asio::awaitable<void> serve(Stream stream, std::shared_ptr<Service> service, Limits limits,
                            std::shared_ptr<void> slot) {
  beast::flat_buffer buffer;
  bool first = true;
  try {
    for (;;) {
      bhttp::request_parser<bhttp::empty_body> parser;
      parser.header_limit(limits.header_bytes);
      parser.body_limit(boost::none);  // each route sets its own
      if (buffer.size() == 0) {        // idle until the next request's first bytes...
        // A connection that never says anything holds a descriptor: no longer than a request.
        stream.expires_after(first ? std::min(limits.idle_timeout, limits.request_timeout)
                                   : limits.idle_timeout);
        first = false;
        auto [idle_ec, got] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
        if (idle_ec) break;
        buffer.commit(got);
      }
      stream.expires_never();  // from here a deadline per read; a handler may take its time
      beast::error_code ec;
      {
        ReadDeadline deadline(stream, limits.request_timeout);  // ...then the header in time
        auto [read_ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        ec = deadline.outcome(read_ec);
      }
      if (ec) {
        // A header begun and not finished in time is a slow client, told so.
        if (!is_quiet_close(ec) || ec == beast::error::timeout) {
          co_await write_rejection(stream, ec);
        }
        break;
      }
      Exchange exchange{stream, buffer, parser, limits};
      bool again = service->streams(parser.get()) ? co_await service->stream(exchange)
                                                  : co_await serve_whole(exchange, *service);
      if (!again) break;
    }
  } catch (const std::exception&) {
    // A handler's failure ends its connection, never the process.
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
  slot.reset();  // a moment before the socket closes (the frame's end): the reserve covers it
}

}  // namespace hive::http
