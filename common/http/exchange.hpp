// Building blocks for handlers that own an Exchange: answering, reading a body whole or piece
// by piece, and writing a chunked response as events happen (flushed per chunk).
#pragma once

#include <optional>
#include <string_view>

#include "hive/error.hpp"
#include "http_server.hpp"

namespace hive::http {

// The one mapping from error codes to HTTP statuses.
unsigned http_status(Errc code);

asio::awaitable<beast::error_code> write_response(Stream& stream, Response response);

// The JSON error body with the status its code maps to.
Response error_response(const bhttp::request_header<>& request, const Error& error);

// Writes a response; returns whether the connection may carry another request (it was
// written and does not say Connection: close).
asio::awaitable<bool> send(Stream& stream, Response response);

// Answers a request the parser refused (too large, malformed); the connection then closes.
asio::awaitable<void> write_rejection(Stream& stream, beast::error_code ec);

// A deadline for reading a request. Unlike basic_stream's own timeout, which closes the
// socket, it only cancels the read, so the server can still answer 408 and say why.
class ReadDeadline {
 public:
  ReadDeadline(Stream& stream, std::chrono::steady_clock::duration after);
  ~ReadDeadline();
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;
  // The read's error, as a timeout when the deadline is what ended it.
  beast::error_code outcome(beast::error_code ec) const;

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> fired_ = std::make_shared<bool>(false);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Answers the exchange's request; returns whether the connection may carry another request
// (not when the request's body was left unread).
asio::awaitable<bool> answer(Exchange& exchange, Response response);
asio::awaitable<bool> answer_error(Exchange& exchange, const Error& error);

// Reads the rest of the request, its body within limit. On failure it has answered 400/413
// and returns nullopt. The exchange's parser is spent either way.
asio::awaitable<std::optional<Request>> read_whole(Exchange& exchange, std::uint64_t limit);

// Completes when the client hangs up (EOF or a reset on its socket), after calling on_hangup;
// otherwise runs until cancelled. Meant for `co_await (respond() || until_hangup(...))`, so
// a response waiting on something slow (a quiet command) learns that nobody listens any more.
asio::awaitable<void> until_hangup(Stream& stream, std::function<void()> on_hangup);

// Reads a request body piece by piece, however large (a file upload, a tar stream).
class BodyReader {
 public:
  explicit BodyReader(Exchange& exchange);
  const bhttp::request_header<>& header() const { return parser_.get().base(); }
  bool done() const { return parser_.is_done(); }
  // Fills up to `room` bytes of `into`; 0 with no error only once done() is true.
  asio::awaitable<beast::error_code> read_some(char* into, std::size_t room, std::size_t& got);

 private:
  Exchange& exchange_;
  bhttp::request_parser<bhttp::buffer_body> parser_;
};

// A response whose body is written as it is produced: chunked transfer encoding, each chunk
// sent at once.
class ChunkedWriter {
 public:
  explicit ChunkedWriter(Stream& stream) : stream_(stream) {}
  asio::awaitable<beast::error_code> start(const bhttp::request_header<>& request,
                                           bhttp::status status, std::string_view content_type);
  asio::awaitable<beast::error_code> write(std::string_view data);
  asio::awaitable<beast::error_code> finish();

 private:
  Stream& stream_;
};

}  // namespace hive::http
