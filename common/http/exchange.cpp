#include "exchange.hpp"

#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>

#include "hive/sandbox/codec.hpp"

namespace hive::http {

unsigned http_status(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return 400;
    case Errc::unauthorized:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::conflict:
      return 409;
    case Errc::too_many_requests:
      return 429;
    case Errc::payload_too_large:
      return 413;
    case Errc::insufficient_storage:
      return 507;
    case Errc::unavailable:
      return 503;
    case Errc::timeout:
      return 504;
    case Errc::agent_error:
    case Errc::transport:
      return 502;
    case Errc::internal:
      break;
  }
  return 500;
}

asio::awaitable<beast::error_code> write_response(Stream& stream, Response response) {
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await bhttp::async_write(stream, response, use_tuple);
  stream.expires_never();
  co_return ec;
}

Response error_response(const bhttp::request_header<>& request, const Error& error) {
  return make_response(request, static_cast<bhttp::status>(http_status(error.code)),
                       sandbox::dump(sandbox::to_json(error)));
}

asio::awaitable<bool> send(Stream& stream, Response response) {
  const bool keep_alive = response.keep_alive();
  auto ec = co_await write_response(stream, std::move(response));
  co_return keep_alive && !ec;
}

ReadDeadline::ReadDeadline(Stream& stream, std::chrono::steady_clock::duration after)
    : timer_(stream.get_executor(), after) {
  // The handler may run after this object is gone (it had fired already): it checks alive
  // first. Connections live on one thread, so the flags need no lock.
  timer_.async_wait([&stream, fired = fired_, alive = alive_](beast::error_code ec) {
    if (ec || !*alive) return;
    *fired = true;
    beast::error_code ignored;
    stream.socket().cancel(ignored);
  });
}

ReadDeadline::~ReadDeadline() {
  *alive_ = false;
  timer_.cancel();
}

beast::error_code ReadDeadline::outcome(beast::error_code ec) const {
  if (ec && *fired_) return beast::error::timeout;
  return ec;
}

asio::awaitable<void> write_rejection(Stream& stream, beast::error_code ec) {
  RequestHeader dummy;
  dummy.version(11);
  bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit;
  auto status = too_large ? bhttp::status::payload_too_large : bhttp::status::bad_request;
  if (ec == bhttp::error::header_limit) status = bhttp::status::request_header_fields_too_large;
  if (ec == beast::error::timeout) status = bhttp::status::request_timeout;
  auto response = make_response(dummy, status, rejection_body(ec, too_large));
  response.keep_alive(false);
  co_await write_response(stream, std::move(response));
}

asio::awaitable<bool> answer(Exchange& exchange, Response response) {
  if (exchange.body_pending()) response.keep_alive(false);
  co_return co_await send(exchange.stream, std::move(response));
}

asio::awaitable<bool> answer_error(Exchange& exchange, const Error& error) {
  co_return co_await answer(exchange, error_response(exchange.header(), error));
}

asio::awaitable<std::optional<Request>> read_whole(Exchange& exchange, std::uint64_t limit) {
  bhttp::request_parser<bhttp::string_body> parser(std::move(exchange.parser));
  // The header is parsed already, so its Content-Length escaped the new limit: check it here
  // (a chunked body is held to the limit as it arrives).
  if (parser.content_length() && *parser.content_length() > limit) {
    co_await write_rejection(exchange.stream, bhttp::error::body_limit);
    co_return std::nullopt;
  }
  parser.body_limit(limit);
  beast::error_code ec;
  {
    ReadDeadline deadline(exchange.stream, exchange.limits.request_timeout);
    auto [read_ec, n] =
        co_await bhttp::async_read(exchange.stream, exchange.buffer, parser, use_tuple);
    ec = deadline.outcome(read_ec);
  }
  if (ec) {
    co_await write_rejection(exchange.stream, ec);
    co_return std::nullopt;
  }
  co_return parser.release();
}

asio::awaitable<void> until_hangup(Stream& stream, std::function<void()> on_hangup) {
  auto [ec] = co_await stream.socket().async_wait(asio::socket_base::wait_read, use_tuple);
  if (ec == asio::error::operation_aborted) co_return;
  char byte = 0;
  ssize_t n = ec ? -1 : ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) {
    // The client sent more (a pipelined request): it is still there. Wait for cancellation.
    asio::steady_timer never(stream.get_executor(), asio::steady_timer::time_point::max());
    co_await never.async_wait(use_tuple);
    co_return;
  }
  on_hangup();
}

BodyReader::BodyReader(Exchange& exchange)
    : exchange_(exchange), parser_(std::move(exchange.parser)) {
  parser_.body_limit(boost::none);
  exchange_.buffer.reserve(64 << 10);  // reads go into spare capacity: make it worth a read
}

asio::awaitable<beast::error_code> BodyReader::read_some(char* into, std::size_t room,
                                                         std::size_t& got) {
  got = 0;
  while (got == 0 && !parser_.is_done()) {
    parser_.get().body().data = into;
    parser_.get().body().size = room;
    auto [ec, n] =
        co_await bhttp::async_read_some(exchange_.stream, exchange_.buffer, parser_, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return ec;
    got = room - parser_.get().body().size;
  }
  co_return beast::error_code{};
}

asio::awaitable<beast::error_code> ChunkedWriter::start(const bhttp::request_header<>& request,
                                                        bhttp::status status,
                                                        std::string_view content_type) {
  bhttp::response<bhttp::empty_body> header{status, request.version()};
  header.set(bhttp::field::server, "hive");
  header.set(bhttp::field::content_type, content_type);
  header.set(bhttp::field::cache_control, "no-cache");
  header.keep_alive(keeps_alive(request));
  header.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer{header};
  auto [ec, n] = co_await bhttp::async_write_header(stream_, serializer, use_tuple);
  co_return ec;
}

asio::awaitable<beast::error_code> ChunkedWriter::write(std::string_view data) {
  if (data.empty()) co_return beast::error_code{};
  auto [ec, n] = co_await asio::async_write(
      stream_, bhttp::make_chunk(asio::const_buffer(data.data(), data.size())), use_tuple);
  co_return ec;
}

asio::awaitable<beast::error_code> ChunkedWriter::finish() {
  auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), use_tuple);
  co_return ec;
}

}  // namespace hive::http
