#include "gateway/proxy.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "agent_client/agent_client.hpp"
#include "common/agent_protocol.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/mcp.hpp"

namespace hive::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using http::Stream;
using http::use_tuple;
using namespace asio::experimental::awaitable_operators;

// Small enough that 1,000 concurrent streams cost little, large enough for a file's speed.
constexpr std::size_t kRelayChunk = 64 << 10;

asio::generic::stream_protocol::endpoint agent_address(const AgentEndpoint& endpoint) {
  if (!endpoint.unix_path.empty()) {
    return asio::local::stream_protocol::endpoint(endpoint.unix_path);
  }
  boost::system::error_code ignored;
  return asio::ip::tcp::endpoint(asio::ip::make_address(endpoint.host, ignored),
                                 static_cast<unsigned short>(endpoint.port));
}

// Moves one message's body from `from` to `to` as it arrives; the header goes first.
template <bool isRequest>
asio::awaitable<beast::error_code> relay(Stream& from, beast::flat_buffer& buffer,
                                         bhttp::parser<isRequest, bhttp::buffer_body>& in,
                                         Stream& to,
                                         bhttp::message<isRequest, bhttp::buffer_body>& out) {
  auto chunk = std::make_unique<std::array<char, kRelayChunk>>();
  // Beast reads into the buffer's spare capacity: left at its first 512 bytes, a body would
  // cross in 512-byte reads.
  buffer.reserve(kRelayChunk);
  out.body().data = nullptr;
  out.body().size = 0;
  out.body().more = !in.is_done();
  bhttp::serializer<isRequest, bhttp::buffer_body> serializer{out};
  auto [ec, n] = co_await bhttp::async_write_header(to, serializer, use_tuple);
  if (ec) co_return ec;
  while (!in.is_done()) {
    in.get().body().data = chunk->data();
    in.get().body().size = chunk->size();
    std::tie(ec, n) = co_await bhttp::async_read_some(from, buffer, in, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return ec;
    out.body().data = chunk->data();
    out.body().size = chunk->size() - in.get().body().size;
    out.body().more = !in.is_done();
    if (out.body().size == 0 && out.body().more) continue;
    std::tie(ec, n) = co_await bhttp::async_write(to, serializer, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return ec;
  }
  if (!serializer.is_done()) {
    out.body().data = nullptr;
    out.body().size = 0;
    out.body().more = false;
    std::tie(ec, n) = co_await bhttp::async_write(to, serializer, use_tuple);
    if (ec == bhttp::error::need_buffer) ec = {};
  }
  co_return ec;
}

// One direction of an upgraded connection: what was read past the headers, then everything.
asio::awaitable<void> pipe(Stream& from, beast::flat_buffer& pending, Stream& to) {
  if (pending.size() > 0) {
    auto [ec, n] = co_await asio::async_write(to, pending.data(), use_tuple);
    pending.consume(pending.size());
    if (ec) co_return;
  }
  auto chunk = std::make_unique<std::array<char, kRelayChunk>>();
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(*chunk), use_tuple);
    if (ec) break;
    std::tie(ec, n) = co_await asio::async_write(to, asio::buffer(chunk->data(), n), use_tuple);
    if (ec) break;
  }
  beast::error_code ignored;
  to.socket().shutdown(asio::socket_base::shutdown_send, ignored);
}

// Names the Pod address (kubernetes) so an operator can look; a local socket path is ours.
Error unreachable(const AgentEndpoint& endpoint, const std::string& what, beast::error_code ec) {
  std::string at =
      endpoint.host.empty() ? "" : " at " + endpoint.host + ":" + std::to_string(endpoint.port);
  return make_error(Errc::agent_error,
                    "the sandbox's agent" + at + " " + what + ": " + ec.message());
}

// How often a call's agent is asked whether it still answers, and so also how long it has to
// answer: a stopped (SIGSTOP) or stuck agent ends the call with a 504 after one to two periods.
constexpr auto kProbePeriod = std::chrono::seconds(3);

struct Probe {
  bool pending = false, failed = false;
};

// One health check on a connection of its own, detached: its reads need no cancelling (the
// stream's own deadline ends them), and the call's watchdog only ever waits on a timer.
asio::awaitable<void> probe_agent(AgentEndpoint endpoint, std::shared_ptr<Probe> probe) {
  Stream stream(co_await asio::this_coro::executor);
  stream.expires_after(kProbePeriod);
  auto [ec] = co_await stream.async_connect(agent_address(endpoint), use_tuple);
  bhttp::response<bhttp::string_body> answer;
  if (!ec) {
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, agent_protocol::kHealthPath, 11};
    request.set(bhttp::field::host, "agent");
    request.keep_alive(false);
    std::size_t n = 0;
    std::tie(ec, n) = co_await bhttp::async_write(stream, request, use_tuple);
    beast::flat_buffer buffer;
    if (!ec) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, answer, use_tuple);
  }
  probe->pending = false;
  probe->failed = ec || answer.result() != bhttp::status::ok;
}

// Runs beside a call until the call's agent stops answering its health check; then calls
// on_stuck (which closes the call's connection) and returns.
asio::awaitable<void> until_agent_stuck(const AgentEndpoint& endpoint,
                                        std::function<void()> on_stuck) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer tick(executor);
  auto probe = std::make_shared<Probe>();
  for (;;) {
    tick.expires_after(kProbePeriod);
    auto [ec] = co_await tick.async_wait(use_tuple);
    if (ec) co_return;  // cancelled: the call ended first
    if (probe->pending || probe->failed) break;
    probe->pending = true;
    asio::co_spawn(executor, probe_agent(endpoint, probe), asio::detached);
  }
  on_stuck();
}

Error stuck(const AgentEndpoint& endpoint) {
  std::string at =
      endpoint.host.empty() ? "" : " at " + endpoint.host + ":" + std::to_string(endpoint.port);
  return make_error(Errc::timeout, "the sandbox's agent" + at +
                                       " stopped answering (no answer to its health " +
                                       "check within " + std::to_string(kProbePeriod.count()) +
                                       " s): it is stopped or stuck; the call was ended");
}

}  // namespace

http::Response gateway_error(const http::RequestHeader& header, const Error& error,
                             ErrorStyle style) {
  if (style == ErrorStyle::Hive) return http::error_response(header, error);
  sandbox::Json body =
      sandbox::mcp::error_message(nullptr, sandbox::mcp::kServerError, error.message);
  body["error"]["data"] = {{"hive_code", std::string(to_string(error.code))}};
  return http::make_response(header, static_cast<bhttp::status>(http::http_status(error.code)),
                             sandbox::dump(body));
}

asio::awaitable<ProxyOutcome> proxy_to_agent(http::Exchange& exchange,
                                             const AgentEndpoint& endpoint,
                                             std::string agent_target, ErrorStyle style) {
  Stream upstream(co_await asio::this_coro::executor);
  beast::error_code ec;
  if (UniqueFd idle = take_idle_connection(endpoint); idle.valid()) {
    auto protocol = agent_address(endpoint).protocol();
    upstream.socket().assign(protocol, idle.release(), ec);
  } else {
    std::tie(ec) = co_await upstream.async_connect(agent_address(endpoint), use_tuple);
    if (!ec && endpoint.unix_path.empty()) {
      // A Pod's agent over TCP: without this each small write waits on a delayed ACK (~40 ms).
      int one = 1;
      setsockopt(upstream.socket().native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  }
  if (ec) {
    auto reply =
        gateway_error(exchange.header(), unreachable(endpoint, "is unreachable", ec), style);
    co_return ProxyOutcome{co_await http::answer(exchange, std::move(reply)), reply.result_int()};
  }

  const bool client_keep_alive = exchange.header().keep_alive();
  const bool is_head = exchange.header().method() == bhttp::verb::head;
  bhttp::request_parser<bhttp::buffer_body> request_in(std::move(exchange.parser));
  request_in.body_limit(boost::none);
  bhttp::request<bhttp::buffer_body> request_out;
  request_out.base() = request_in.get().base();
  request_out.target(agent_target);
  request_out.erase(bhttp::field::authorization);  // the client's token stays here
  if (!endpoint.secret.empty()) request_out.set(agent_protocol::kSecretHeader, endpoint.secret);
  const bool upgrade = beast::websocket::is_upgrade(request_in.get());
  if (!upgrade) request_out.keep_alive(true);  // the connection goes back to the pool after
  // An agent that refuses a request early (a bad parameter) answers and closes before taking
  // the whole body: the relay then fails, but the answer is there to pass on.
  const bool request_whole =
      !co_await relay(exchange.stream, exchange.buffer, request_in, upstream, request_out);
  if (!request_whole) {
    beast::error_code ignored;  // the agent must not wait for the rest of a body
    upstream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
  }

  beast::flat_buffer upstream_buffer;
  bhttp::response_parser<bhttp::buffer_body> response_in;
  response_in.body_limit(boost::none);
  response_in.skip(is_head);
  bool agent_stuck = false;
  auto close_upstream = [&upstream, &agent_stuck] {
    agent_stuck = true;
    beast::error_code ignored;
    upstream.socket().close(ignored);
  };
  auto header_read =
      co_await (bhttp::async_read_header(upstream, upstream_buffer, response_in, use_tuple) ||
                until_agent_stuck(endpoint, close_upstream));
  ec = header_read.index() == 0 ? std::get<0>(std::get<0>(header_read)) : beast::error_code{};
  if (ec || agent_stuck) {
    http::RequestHeader header;
    header.version(request_in.get().version());
    header.keep_alive(false);
    auto error = agent_stuck ? stuck(endpoint) : unreachable(endpoint, "closed the connection", ec);
    co_await http::write_response(exchange.stream, gateway_error(header, error, style));
    co_return ProxyOutcome{false, agent_stuck ? 504u : 502u};
  }
  const unsigned status = response_in.get().result_int();
  bhttp::response<bhttp::buffer_body> response_out;
  response_out.base() = response_in.get().base();
  if (response_in.get().result() == bhttp::status::switching_protocols) {
    ec = co_await relay(upstream, upstream_buffer, response_in, exchange.stream, response_out);
    if (!ec) {
      co_await (pipe(exchange.stream, exchange.buffer, upstream) &&
                pipe(upstream, upstream_buffer, exchange.stream));
    }
    co_return ProxyOutcome{false, status};
  }
  const bool keep_alive = client_keep_alive && request_whole;
  response_out.keep_alive(keep_alive);
  // A client that hangs up while the agent is quiet closes the upstream connection too, so
  // the agent learns of it (and ends the command).
  // An agent that stops answering mid-body ends the relay the same way (the client sees the
  // body cut short: its status line has gone out already).
  auto outcome =
      co_await (relay(upstream, upstream_buffer, response_in, exchange.stream, response_out) ||
                http::until_hangup(exchange.stream, [&upstream] { upstream.socket().close(); }) ||
                until_agent_stuck(endpoint, close_upstream));
  if (outcome.index() != 0) co_return ProxyOutcome{false, status};
  const bool relayed = !std::get<0>(outcome);
  if (relayed && request_whole && response_in.get().keep_alive() && upstream_buffer.size() == 0) {
    // A complete exchange on a connection the agent keeps: the next call skips the connect.
    int fd = upstream.socket().release(ec);
    if (!ec) give_idle_connection(endpoint, UniqueFd(fd));
  }
  co_return ProxyOutcome{relayed && keep_alive, status};
}

}  // namespace hive::server
