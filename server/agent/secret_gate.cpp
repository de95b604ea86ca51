#include "secret_gate.hpp"

#include "hive/sandbox/codec.hpp"
#include "http/exchange.hpp"

namespace hive::agent {
namespace {

namespace bhttp = boost::beast::http;

// Compares in time independent of where the first difference is.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size() && i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return diff == 0;
}

const Error& refusal() {
  static const Error error{Errc::unauthorized, "this agent needs X-Hive-Agent-Secret"};
  return error;
}

}  // namespace

bool SecretGate::admits(const bhttp::request_header<>& header) const {
  if (header.method() == bhttp::verb::get && header.target() == "/healthz") return true;
  return same_secret(header["X-Hive-Agent-Secret"], secret_);
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
