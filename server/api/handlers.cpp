#include "api/handlers.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "api/auth.hpp"
#include "api/images_api.hpp"
#include "api/openapi.hpp"
#include "api/request_log.hpp"
#include "api/router.hpp"
#include "api/seed_api.hpp"
#include "api/watch.hpp"
#include "common/ids.hpp"
#include "gateway/proxy.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/selector.hpp"

namespace hive::server {
namespace {

namespace bhttp = boost::beast::http;
using sandbox::Json;

http::Response json_response(const http::Request& request, unsigned status, const Json& body) {
  return http::make_response(request, static_cast<bhttp::status>(status), sandbox::dump(body));
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

// What a sandbox token may do besides its sandbox's agent surfaces.
bool sandbox_token_may(RouteKind kind) {
  return kind == RouteKind::GetSandbox || kind == RouteKind::Keepalive ||
         kind == RouteKind::Version || kind == RouteKind::Agent || kind == RouteKind::Mcp;
}

Error forbidden_for(const Grant& grant) {
  return make_error(Errc::forbidden, "this token is sandbox " + grant.sandbox_id +
                                         "'s: it reaches that sandbox's exec, attach, files "
                                         "and MCP only");
}

std::int64_t unix_seconds(const std::string& rfc3339) {
  auto when = from_rfc3339(rfc3339);
  if (!when) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(when->time_since_epoch()).count();
}

}  // namespace

Api::Api(SandboxService& service, ApiOptions options, boost::asio::thread_pool& workers)
    : service_(service),
      options_(std::move(options)),
      auth_(options_.admin_token),
      stream_slots_(options_.max_streams_per_token),
      workers_(workers) {}

std::shared_ptr<void> Api::stream_slot(const Grant& grant) {
  return stream_slots_.take(grant.admin ? std::string("admin") : grant.sandbox_id);
}

Error Api::too_many_streams() const {
  return make_error(Errc::too_many_requests,
                    "this token has " + std::to_string(stream_slots_.per_key()) +
                        " streams open already (hive-server --max-streams-per-token); retry "
                        "when one ends");
}

void Api::resolve_alias(sandbox::SandboxSpec& spec) const {
  if (auto it = options_.image_aliases.find(spec.image); it != options_.image_aliases.end()) {
    spec.image = it->second;
  }
}

http::Response Api::seed_dispatch(const http::Request& request, const Route& r) {
  auto answer = [&](unsigned status, const Json& body) {
    return json_response(request, status, body);
  };
  auto failed = [&](const Error& error) {
    return answer(http_status(error.code), seed_error(error.message));
  };
  if (r.kind == RouteKind::SeedSpawn) {
    auto body = request_json(request);
    if (!body) return failed(body.error());
    auto spec = seed_spawn_spec(*body);
    if (!spec) return failed(spec.error());
    resolve_alias(*spec);
    auto sb = service_.spawn(std::move(*spec));
    if (!sb) return failed(sb.error());
    const SeedPlace place{options_.namespace_name, std::string(request[bhttp::field::host])};
    return answer(200, seed_spawn_answer(*sb, place, token_for(*sb)));
  }
  if (r.kind == RouteKind::SeedDeprovision) {
    auto done = service_.deprovision(r.id);
    if (!done && done.error().code == Errc::not_found) {
      return answer(404, seed_error("UUID not found"));
    }
    if (!done) return failed(done.error());
    return answer(200, {{"message", "Deprovisioned"}, {"uuid", r.id}});
  }
  auto selector = sandbox::parse_selector(kSeedSelector);
  auto outcome = service_.deprovision_matching(*selector);
  Json deleted = Json::array(), failures = Json::array();
  for (const auto& sb : outcome.deprovisioned) deleted.push_back(sb.id);
  for (const auto& [id, error] : outcome.failed) failures.push_back(id);
  return answer(200, {{"deleted", deleted}, {"failed", failures}, {"count", deleted.size()}});
}

Result<void> Api::authorize(const Grant& grant, const std::string& id_or_name) {
  if (grant.admin || id_or_name == grant.sandbox_id) return {};
  auto sb = service_.get(id_or_name);  // a name, perhaps
  if (sb && sb->id == grant.sandbox_id) return {};
  return forbidden_for(grant);
}

std::string Api::token_for(const sandbox::Sandbox& sb) const {
  return auth_.sandbox_token(sb.id, unix_seconds(sb.expires_at));
}

sandbox::Json Api::with_token(const sandbox::Sandbox& sb) const {
  auto out = sandbox::to_json(sb);
  out["token"] = token_for(sb);
  return out;
}

http::Response Api::sandbox_response(const http::Request& request,
                                     const Result<sandbox::Sandbox>& result, unsigned status) {
  if (!result) return error_response(request, result.error());
  return json_response(request, status, with_token(*result));
}

void Api::handle(http::Request&& request, http::Reply reply) {
  // Spawn, deprovision and exec block on the runtime or the agent: run every call on a
  // worker so the io threads only move bytes.
  auto shared = std::make_shared<http::Request>(std::move(request));
  boost::asio::post(workers_, [this, shared, reply = std::move(reply)]() mutable {
    const auto started = std::chrono::steady_clock::now();
    Route r = route(shared->method(), shared->target());
    if (options_.pull_workers != nullptr && spawn_pulls(*shared, r)) {
      boost::asio::post(*options_.pull_workers,
                        [this, shared, r, started, reply = std::move(reply)]() mutable {
                          serve(*shared, r, started, std::move(reply));
                        });
      return;
    }
    serve(*shared, r, started, std::move(reply));
  });
}

// A spawn that waits (wait=true, the default) for an image not yet pulled.
bool Api::spawn_pulls(const http::Request& request, const Route& r) {
  // No store (kubernetes: the kubelet pulls), nothing to pull: no second parse of the body.
  if (r.kind != RouteKind::Spawn || options_.images == nullptr) return false;
  if (auto wait = r.query.find("wait"); wait != r.query.end() && wait->second != "true") {
    return false;  // wait=false hands its start to run_later; a dry run pulls nothing
  }
  if (r.query.count("dryRun") != 0) return false;
  auto body = request_json(request);
  if (!body) return false;
  auto spec = sandbox::spec_from_json(*body);
  if (!spec) return false;
  resolve_alias(*spec);
  return service_.needs_pull(*spec);
}

void Api::serve(const http::Request& request, Route& r,
                std::chrono::steady_clock::time_point started, http::Reply reply) {
  auto id = request_id(request["X-Request-Id"]);
  http::Response response;
  try {
    response = dispatch(request, r);
  } catch (const std::exception& e) {
    // A bug, never the client's doing: answered and logged, not the end of the process
    // (an exception escaping a worker thread would terminate it).
    spdlog::error("req={} {} {}: {}", id, std::string(request.method_string()),
                  std::string(request.target()), e.what());
    response = error_response(
        request, make_error(Errc::internal, std::string("internal error: ") + e.what()));
  }
  response.set("X-Request-Id", id);
  const bool spawn = r.kind == RouteKind::Spawn || r.kind == RouteKind::SeedSpawn;
  finished(spawn ? Metrics::Kind::Spawn : Metrics::Kind::Other, response.result_int(), started,
           {id, request.method_string(), request.target(), response.result_int()});
  reply(std::move(response));
}

void Api::finished(Metrics::Kind kind, unsigned status,
                   std::chrono::steady_clock::time_point started, RequestLine line) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.observe(kind, status, seconds);
  line.milliseconds = seconds * 1000;
  log_request(line);
}

http::Response Api::metrics_response(const http::Request& request) {
  std::map<std::string, std::uint64_t> by_state;
  for (auto state : sandbox::all_states()) {
    by_state[std::string(sandbox::to_string(state))] = 0;
  }
  if (auto all = service_.list(std::nullopt); all) {
    for (const auto& sb : *all) ++by_state[std::string(sandbox::to_string(sb.state))];
  }
  auto reaped = service_.reaped_by_reason();
  for (const char* reason : {"ttl", "idle"}) reaped.emplace(reason, 0);
  return http::make_response(request, bhttp::status::ok, metrics_.render(by_state, reaped),
                             "text/plain; version=0.0.4");
}

bool Api::streams(const http::RequestHeader& header) {
  auto r = route(header.method(), header.target());
  return r.kind == RouteKind::Agent || r.kind == RouteKind::Mcp || r.kind == RouteKind::PullImage ||
         r.kind == RouteKind::LoadImage || is_watch(r);
}

boost::asio::awaitable<bool> Api::stream(http::Exchange& exchange) {
  auto started = std::chrono::steady_clock::now();
  const auto id = request_id(exchange.header()["X-Request-Id"]);
  const std::string method(exchange.header().method_string());
  const std::string target(exchange.header().target());
  Route r = route(exchange.header().method(), target);
  if (is_watch(r)) co_return co_await watch(exchange, r);
  if (r.kind == RouteKind::PullImage || r.kind == RouteKind::LoadImage) {
    co_return co_await pull(exchange, r);
  }
  const bool mcp = r.kind == RouteKind::Mcp || r.agent_target.rfind("/mcp", 0) == 0;
  const auto style = mcp ? ErrorStyle::JsonRpc : ErrorStyle::Hive;
  if (r.kind == RouteKind::Mcp) r.id = mcp_sandbox(exchange.header());
  ProxyOutcome outcome;
  auto grant = auth_.check(exchange.header()[bhttp::field::authorization],
                           r.kind == RouteKind::Mcp ? Schemes::BearerOrBasic : Schemes::BearerOnly);
  // if/else, not ?:, in a coroutine: GCC 12 mishandles a conditional's temporaries there.
  const char* no_sandbox = "the path names no sandbox (/v1/sandboxes/ID/...)";
  if (r.kind == RouteKind::Mcp) {
    no_sandbox = "/mcp needs the X-Session-ID header: the sandbox's id or name";
  }
  Result<AgentRoute> agent = make_error(Errc::invalid_argument, no_sandbox);
  std::shared_ptr<void> slot;
  if (!grant) {
    agent = grant.error();
  } else if (slot = stream_slot(*grant); !slot) {
    agent = too_many_streams();
  } else if (!r.id.empty()) {
    agent = co_await route_when_running(r.id);
    if (agent && !grant->admin && agent->id != grant->sandbox_id) agent = forbidden_for(*grant);
  }
  if (!agent) {
    auto reply = gateway_error(exchange.header(), agent.error(), style);
    outcome.status = reply.result_int();
    outcome.keep_alive = co_await http::answer(exchange, std::move(reply));
  } else {
    outcome = co_await proxy_to_agent(exchange, agent->endpoint, r.agent_target, style);
  }
  const bool exec = r.agent_target.rfind("/exec", 0) == 0;
  finished(exec ? Metrics::Kind::Exec : Metrics::Kind::Proxy, outcome.status, started,
           {id, method, target, outcome.status, 0, true});
  co_return outcome.keep_alive;
}

// An exec right after `spawn --no-wait` finds the sandbox Starting: it waits for Running, as
// long as a spawn may take, rather than fail at once; any other state answers now.
boost::asio::awaitable<Result<AgentRoute>> Api::route_when_running(const std::string& id_or_name) {
  constexpr auto kStartingWait = std::chrono::seconds(60);
  const auto deadline = std::chrono::steady_clock::now() + kStartingWait;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    auto route = service_.agent_route(id_or_name);
    if (route || route.error().code != Errc::conflict) co_return route;
    auto sb = service_.get(id_or_name);
    if (!sb || (sb->state != sandbox::State::Starting && sb->state != sandbox::State::Pulling) ||
        std::chrono::steady_clock::now() >= deadline) {
      co_return route;
    }
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

boost::asio::awaitable<bool> Api::watch(http::Exchange& exchange, Route& r) {
  const auto id = request_id(exchange.header()["X-Request-Id"]);
  auto grant = auth_.check(exchange.header()[bhttp::field::authorization]);
  Result<ListFilter> filter = make_error(Errc::internal, "");
  std::shared_ptr<void> slot;
  if (!grant) {
    filter = grant.error();
  } else if (!grant->admin) {
    filter = forbidden_for(*grant);
  } else if (slot = stream_slot(*grant); !slot) {
    filter = too_many_streams();
  } else {
    filter = list_filter(r);
  }
  if (!filter) co_return co_await http::answer_error(exchange, filter.error());
  log_request({id, "GET", exchange.header().target(), 200, 0, true});
  co_return co_await serve_watch(exchange, service_, filter->state, std::move(filter->selector));
}

boost::asio::awaitable<bool> Api::pull(http::Exchange& exchange, Route& r) {
  const auto id = request_id(exchange.header()["X-Request-Id"]);
  auto grant = auth_.check(exchange.header()[bhttp::field::authorization]);
  if (!grant) co_return co_await http::answer_error(exchange, grant.error());
  if (!grant->admin) co_return co_await http::answer_error(exchange, forbidden_for(*grant));
  log_request({id, "POST", exchange.header().target(), 200, 0, true});
  if (r.kind == RouteKind::LoadImage) {
    co_return co_await serve_load(exchange, r, options_.images, workers_);
  }
  co_return co_await serve_pull(exchange, r, options_.images, workers_);
}

http::Response Api::dispatch(const http::Request& request, Route& r) {
  const bool seed = r.kind == RouteKind::SeedSpawn || r.kind == RouteKind::SeedDeprovision ||
                    r.kind == RouteKind::SeedDeprovisionAll;
  if (r.needs_auth) {
    auto grant = auth_.check(request[bhttp::field::authorization],
                             r.basic_auth ? Schemes::BearerOrBasic : Schemes::BearerOnly);
    if (!grant && seed) {
      return json_response(
          request, 401,
          seed_error(grant.error().message + "; a client that sends no credentials can carry the "
                                             "token in its URL: http://hive:TOKEN@host:port"));
    }
    if (!grant) return error_response(request, grant.error());
    if (!grant->admin) {
      if (!sandbox_token_may(r.kind)) return error_response(request, forbidden_for(*grant));
      if (auto allowed = r.id.empty() ? Result<void>{} : authorize(*grant, r.id); !allowed) {
        return error_response(request, allowed.error());
      }
    }
  }
  if (seed) return seed_dispatch(request, r);
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
    case RouteKind::Metrics:
      return metrics_response(request);
    case RouteKind::OpenApi:
      return http::make_response(request, bhttp::status::ok, std::string(openapi_json()));
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
      resolve_alias(*spec);
      if (auto dry = r.query.find("dryRun"); dry != r.query.end()) {  // kubectl's dryRun=All
        if (dry->second != "All") {
          return error_response(request, make_error(Errc::invalid_argument, "dryRun is All"));
        }
        auto checked = service_.dry_run(std::move(*spec));  // no id, so no token either
        if (!checked) return error_response(request, checked.error());
        return json_response(request, 200, sandbox::to_json(*checked));
      }
      if (wait != r.query.end() && wait->second == "false") {  // 202: Starting, placed later
        auto later = [this](std::function<void()> start, bool pulls) {
          if (pulls && options_.pull_workers != nullptr) {
            boost::asio::post(*options_.pull_workers, std::move(start));
          } else {
            boost::asio::post(workers_, std::move(start));
          }
        };
        auto started = service_.spawn(std::move(*spec), later);
        return sandbox_response(request, started,
                                started && started->state == sandbox::State::Running ? 201 : 202);
      }
      return sandbox_response(request, service_.spawn(std::move(*spec)), 201);
    }
    case RouteKind::GetSandbox:
      return sandbox_response(request, service_.get(r.id));
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
      return sandbox_response(request, service_.keepalive(r.id));
    case RouteKind::ListImages:
    case RouteKind::GetImage:
    case RouteKind::DeleteImage:
    case RouteKind::PruneImages:
      return images_dispatch(request, r, options_.images);
    case RouteKind::PullImage:  // streams() sends it to stream()
    case RouteKind::LoadImage:
    case RouteKind::MethodNotAllowed: {
      auto refused = json_response(
          request, 405,
          sandbox::to_json(make_error(Errc::invalid_argument, std::string(request.method_string()) +
                                                                  " is not allowed on " +
                                                                  std::string(request.target()))));
      refused.set(bhttp::field::allow, r.allow);
      return refused;
    }
    case RouteKind::BadTarget:
      return error_response(request,
                            make_error(Errc::invalid_argument, "malformed request target"));
    case RouteKind::Agent:  // streams() sends these to stream()
    case RouteKind::Mcp:
    case RouteKind::SeedSpawn:  // seed_dispatch()
    case RouteKind::SeedDeprovision:
    case RouteKind::SeedDeprovisionAll:
    case RouteKind::NotFound:
      break;
  }
  return error_response(
      request, make_error(Errc::not_found, "no route for " + std::string(request.target())));
}

}  // namespace hive::server
