#include "api/watch.hpp"

#include <map>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hive/sandbox/codec.hpp"

namespace hive::server {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using sandbox::Json;

constexpr auto kTick = std::chrono::milliseconds(200);

// What a watcher is told about: the resource less its activity clock, which moves with every
// call and would make each busy sandbox MODIFIED on every tick.
std::string fingerprint(const Json& object) {
  Json copy = object;
  copy.erase("last_activity_at");
  return sandbox::dump(copy);
}

std::string event(const char* type, const Json& object) {
  return sandbox::dump(Json{{"type", type}, {"object", object}}) + "\n";
}

}  // namespace

asio::awaitable<bool> serve_watch(http::Exchange& exchange, SandboxService& service,
                                  std::optional<sandbox::State> state, sandbox::Selector selector) {
  http::ChunkedWriter writer(exchange.stream);
  if (co_await writer.start(exchange.header(), bhttp::status::ok, "application/x-ndjson")) {
    co_return false;
  }
  std::map<std::string, std::pair<std::string, Json>> seen;  // id -> fingerprint, object
  auto pump = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      auto listed = service.list(state, selector);
      std::string lines;
      std::map<std::string, std::pair<std::string, Json>> now;
      if (listed) {
        for (const auto& sb : *listed) {
          Json object = sandbox::to_json(sb);
          std::string print = fingerprint(object);
          auto before = seen.find(sb.id);
          if (before == seen.end()) {
            lines += event("ADDED", object);
          } else if (before->second.first != print) {
            lines += event("MODIFIED", object);
          }
          now.emplace(sb.id, std::make_pair(std::move(print), std::move(object)));
        }
        for (const auto& [id, last] : seen) {
          if (now.count(id) == 0) lines += event("DELETED", last.second);
        }
        seen = std::move(now);
      }
      if (!lines.empty() && co_await writer.write(lines)) co_return;
      timer.expires_after(kTick);
      auto [ec] = co_await timer.async_wait(http::use_tuple);
      if (ec) co_return;
    }
  };
  using namespace asio::experimental::awaitable_operators;
  co_await (pump() || http::until_hangup(exchange.stream, [] {}));
  co_return false;  // a watch ends with its connection
}

}  // namespace hive::server
