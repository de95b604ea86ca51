#include "gateway/agent_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hive::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

constexpr std::uint64_t kMaxReplyBytes = 1ULL << 31;

bhttp::verb to_verb(Method method) {
  switch (method) {
    case Method::Get:
      return bhttp::verb::get;
    case Method::Delete:
      return bhttp::verb::delete_;
    case Method::Put:
      return bhttp::verb::put;
    case Method::Post:
      break;
  }
  return bhttp::verb::post;
}

// Connect, write, read — as async operations on a private io_context, because Beast's stream
// deadlines apply only to async operations. The caller's thread runs the context to the end.
template <class Protocol>
Result<AgentReply> exchange(const typename Protocol::endpoint& address, const std::string& where,
                            bhttp::request<bhttp::string_body>& request,
                            std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::basic_stream<Protocol> stream(io);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  beast::error_code failure;
  const char* step = "connect to";
  stream.expires_after(timeout);
  stream.async_connect(address, [&](beast::error_code ec) {
    if (ec) return void(failure = ec);
    step = "send to";
    bhttp::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
      if (ec) return void(failure = ec);
      step = "read from";
      bhttp::async_read(stream, buffer, parser,
                        [&](beast::error_code ec, std::size_t) { failure = ec; });
    });
  });
  io.run();
  if (failure == beast::error::timeout) {
    return make_error(Errc::timeout, "hive-agent at " + where + " did not answer in time");
  }
  if (failure) {
    return make_error(Errc::agent_error,
                      std::string(step) + " hive-agent at " + where + ": " + failure.message());
  }
  return AgentReply{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
}

}  // namespace

Result<AgentReply> call_agent(const runtime::AgentEndpoint& endpoint, Method method,
                              const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout) {
  bhttp::request<bhttp::string_body> request{to_verb(method), target, 11};
  request.set(bhttp::field::host, "hive-agent");
  request.set(bhttp::field::content_type, "application/json");
  if (!endpoint.secret.empty()) request.set("X-Hive-Agent-Secret", endpoint.secret);
  request.body() = body;
  request.prepare_payload();
  if (!endpoint.unix_path.empty()) {
    return exchange<asio::local::stream_protocol>(
        asio::local::stream_protocol::endpoint(endpoint.unix_path), "'" + endpoint.unix_path + "'",
        request, timeout);
  }
  beast::error_code ec;
  auto ip = asio::ip::make_address(endpoint.host, ec);
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  if (ec) return make_error(Errc::agent_error, "bad agent address " + where);
  return exchange<asio::ip::tcp>({ip, static_cast<unsigned short>(endpoint.port)}, where, request,
                                 timeout);
}

}  // namespace hive::server
