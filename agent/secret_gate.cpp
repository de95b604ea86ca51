#include "secret_gate.hpp"

#include "common/agent_protocol.hpp"
#include "common/http/exchange.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::agent {
namespace {

namespace bhttp = boost::beast::http;

const Error& refusal() {
  static const Error error{Errc::unauthorized,
                           std::string("this agent needs ") + agent_protocol::kSecretHeader};
  return error;
}

}  // namespace

bool SecretGate::admits(const bhttp::request_header<>& header) const {
  if (header.method() == bhttp::verb::get && header.target() == agent_protocol::kHealthPath) {
    return true;
  }
  return sandbox::constant_time_equal(header[agent_protocol::kSecretHeader], secret_);
}

bool SecretGate::streams(const http::RequestHeader& header) {
  return admits(header) && inner_->streams(header);
}

boost::asio::awaitable<bool> SecretGate::stream(http::Exchange& exchange) {
  co_return co_await inner_->stream(exchange);  // streams() already admitted it
}

void SecretGate::handle(http::Request&& request, http::Reply reply) {
  if (!admits(request)) {
    auto response = http::error_response(request, refusal());
    response.keep_alive(false);
    return reply(std::move(response));
  }
  inner_->handle(std::move(request), std::move(reply));
}

}  // namespace hive::agent
