#include "api/handlers.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "api/watch.hpp"
#include "gateway/proxy.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/selector.hpp"

namespace hive::server {
namespace {

namespace bhttp = boost::beast::http;
using sandbox::Json;

http::Response json_response(const http::Request& request, unsigned status, const Json& body) {
  return http::make_response(request, static_cast<bhttp::status>(status), body.dump());
}

http::Response error_response(const http::Request& request, const Error& error) {
  return json_response(request, http_status(error.code), sandbox::to_json(error));
}

template <typename T>
http::Response result_response(const http::Request& request, const Result<T>& result,
                               unsigned status = 200) {
  if (!result) return error_response(request, result.error());
  return json_response(request, status, sandbox::to_json(*result));
}

Result<Json> request_json(const http::Request& request) {
  if (request.body().empty()) return Json::object();
  return sandbox::parse_json(request.body());
}

struct ListFilter {
  std::optional<sandbox::State> state;
  sandbox::Selector selector;
};

// ?selector=...&state=... of a list or a watch.
Result<ListFilter> list_filter(Route& r) {
  auto selector = sandbox::parse_selector(r.query["selector"]);
  if (!selector) return selector.error();
  ListFilter filter{std::nullopt, std::move(*selector)};
  if (auto it = r.query.find("state"); it != r.query.end()) {
    filter.state = sandbox::state_from_string(it->second);
    if (!filter.state)
      return make_error(Errc::invalid_argument, "unknown state '" + it->second + "'");
  }
  return filter;
}

bool is_watch(const Route& r) {
  auto it = r.query.find("watch");
  return r.kind == RouteKind::ListSandboxes && it != r.query.end() && it->second == "true";
}

// The sandbox an MCP client means on /mcp: Hive's X-Session-ID, or the seeds' older name.
std::string mcp_sandbox(const http::RequestHeader& header) {
  for (const char* name : {"X-Session-ID", "X-MCP-Session-ID"}) {
    if (auto value = header[name]; !value.empty()) return std::string(value);
  }
  return "";
}

}  // namespace

Api::Api(SandboxService& service, std::string token, boost::asio::thread_pool& workers)
    : service_(service), token_(std::move(token)), workers_(workers) {}

void Api::handle(http::Request&& request, http::Reply reply) {
  // Spawn, deprovision and exec block on the runtime or the agent: run every call on a
  // worker so the io threads only move bytes.
  auto shared = std::make_shared<http::Request>(std::move(request));
  boost::asio::post(workers_, [this, shared, reply = std::move(reply)] {
    auto started = std::chrono::steady_clock::now();
    auto id = next_request_id_.fetch_add(1);
    http::Response response = dispatch(*shared);
    response.set("X-Request-Id", std::to_string(id));
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
    spdlog::info("req={} {} {} {} {:.3f}ms", id, std::string(shared->method_string()),
                 std::string(shared->target()), response.result_int(), micros / 1000.0);
    reply(std::move(response));
  });
}

bool Api::streams(const http::RequestHeader& header) {
  auto r = route(header.method(), header.target());
  return r.kind == RouteKind::Agent || r.kind == RouteKind::Mcp || is_watch(r);
}

boost::asio::awaitable<bool> Api::stream(http::Exchange& exchange) {
  auto started = std::chrono::steady_clock::now();
  auto id = next_request_id_.fetch_add(1);
  const std::string method(exchange.header().method_string());
  const std::string target(exchange.header().target());
  Route r = route(exchange.header().method(), target);
  if (is_watch(r)) co_return co_await watch(exchange, r);
  const bool mcp = r.kind == RouteKind::Mcp || r.agent_target.rfind("/mcp", 0) == 0;
  const auto style = mcp ? ErrorStyle::JsonRpc : ErrorStyle::Hive;
  if (r.kind == RouteKind::Mcp) r.id = mcp_sandbox(exchange.header());
  ProxyOutcome outcome;
  auto auth = check_bearer(exchange.header()[bhttp::field::authorization], token_);
  // if/else, not ?:, in a coroutine: GCC 12 mishandles a conditional's temporaries there.
  Result<AgentRoute> agent = make_error(
      Errc::invalid_argument, "/mcp needs the X-Session-ID header: the sandbox's id or name");
  if (!auth) {
    agent = auth.error();
  } else if (!r.id.empty()) {
    agent = service_.agent_route(r.id);
  }
  if (!agent) {
    auto reply = gateway_error(exchange.header(), agent.error(), style);
    outcome.status = reply.result_int();
    outcome.keep_alive = co_await http::answer(exchange, std::move(reply));
  } else {
    outcome = co_await proxy_to_agent(exchange, agent->endpoint, r.agent_target, style);
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  // For a stream, the time is the whole stream's.
  spdlog::info("req={} {} {} {} {:.3f}ms", id, method, target, outcome.status, micros / 1000.0);
  co_return outcome.keep_alive;
}

boost::asio::awaitable<bool> Api::watch(http::Exchange& exchange, Route& r) {
  const auto id = next_request_id_.fetch_add(1);
  auto auth = check_bearer(exchange.header()[bhttp::field::authorization], token_);
  auto filter = auth ? list_filter(r) : Result<ListFilter>(auth.error());
  if (!filter) co_return co_await http::answer_error(exchange, filter.error());
  spdlog::info("req={} GET {} watching", id, std::string(exchange.header().target()));
  co_return co_await serve_watch(exchange, service_, filter->state, std::move(filter->selector));
}

http::Response Api::dispatch(const http::Request& request) {
  Route r = route(request.method(), request.target());
  if (r.needs_auth) {
    auto auth = check_bearer(request[bhttp::field::authorization], token_);
    if (!auth) return error_response(request, auth.error());
  }
  switch (r.kind) {
    case RouteKind::Healthz:
      return json_response(request, 200, {{"ok", true}});
    case RouteKind::Readyz: {
      auto ready = service_.ready();
      if (!ready) {
        return json_response(request, 503, {{"ready", false}, {"reason", ready.error().message}});
      }
      return json_response(request, 200, {{"ready", true}, {"runtime", service_.runtime_name()}});
    }
    case RouteKind::Version:
      return json_response(
          request, 200,
          {{"version", HIVE_VERSION}, {"api", "v1"}, {"runtime", service_.runtime_name()}});
    case RouteKind::ListSandboxes: {
      auto filter = list_filter(r);
      if (!filter) return error_response(request, filter.error());
      auto sandboxes = service_.list(filter->state, filter->selector);
      if (!sandboxes) return error_response(request, sandboxes.error());
      Json items = Json::array();
      for (const auto& sb : *sandboxes) items.push_back(sandbox::to_json(sb));
      return json_response(request, 200, {{"items", items}});
    }
    case RouteKind::Spawn: {
      const auto wait = r.query.find("wait");
      if (wait != r.query.end() && wait->second != "true" && wait->second != "false") {
        return error_response(request, make_error(Errc::invalid_argument, "wait is true or false"));
      }
      auto body = request_json(request);
      if (!body) return error_response(request, body.error());
      auto spec = sandbox::spec_from_json(*body);
      if (!spec) return error_response(request, spec.error());
      if (wait != r.query.end() && wait->second == "false") {  // 202: Starting, placed later
        auto later = [this](std::function<void()> start) {
          boost::asio::post(workers_, std::move(start));
        };
        auto started = service_.spawn(std::move(*spec), later);
        return result_response(request, started,
                               started && started->state == sandbox::State::Running ? 201 : 202);
      }
      return result_response(request, service_.spawn(std::move(*spec)), 201);
    }
    case RouteKind::GetSandbox:
      return result_response(request, service_.get(r.id));
    case RouteKind::DeleteSandbox:
      return result_response(request, service_.deprovision(r.id));
    case RouteKind::DeleteSandboxes: {
      // Deleting everything must be asked for by name, never by forgetting a selector.
      auto selector = sandbox::parse_selector(r.query["selector"]);
      if (!selector) return error_response(request, selector.error());
      if (selector->empty() && r.query["all"] != "true") {
        return error_response(
            request, make_error(Errc::invalid_argument, "give ?selector=... or ?all=true"));
      }
      auto outcome = service_.deprovision_matching(*selector);
      Json items = Json::array(), failed = Json::array();
      for (const auto& sb : outcome.deprovisioned) items.push_back(sandbox::to_json(sb));
      for (const auto& [id, error] : outcome.failed) {
        failed.push_back({{"id", id}, {"error", sandbox::to_json(error)["error"]}});
      }
      // 200 either way: what was done is in items, what was not in failed.
      return json_response(request, 200, {{"items", items}, {"failed", failed}});
    }
    case RouteKind::Keepalive:
      return result_response(request, service_.keepalive(r.id));
    case RouteKind::MethodNotAllowed:
      return json_response(
          request, 405,
          sandbox::to_json(make_error(Errc::invalid_argument, std::string(request.method_string()) +
                                                                  " is not allowed on " +
                                                                  std::string(request.target()))));
    case RouteKind::BadTarget:
      return error_response(request,
                            make_error(Errc::invalid_argument, "malformed request target"));
    case RouteKind::Agent:  // streams() sends these to stream()
    case RouteKind::Mcp:
    case RouteKind::NotFound:
      break;
  }
  return error_response(
      request, make_error(Errc::not_found, "no route for " + std::string(request.target())));
}

}  // namespace hive::server
