#include "api/router.hpp"

#include <algorithm>
#include <vector>

#include <boost/url/parse.hpp>

namespace hive::server {
namespace {

using boost::beast::http::verb;

// Picks the route for a method on a known path, or MethodNotAllowed with the Allow list.
RouteKind by_method(Route& route, verb method,
                    std::initializer_list<std::pair<verb, RouteKind>> allowed) {
  for (const auto& [v, kind] : allowed) {
    if (v == method) return kind;
  }
  for (const auto& [v, kind] : allowed) {
    if (!route.allow.empty()) route.allow += ", ";
    route.allow += std::string(boost::beast::http::to_string(v));
  }
  return RouteKind::MethodNotAllowed;
}

// The parts of a sandbox the agent serves (docs/api.md).
bool is_agent_surface(std::string_view segment) {
  return segment == "exec" || segment == "processes" || segment == "files" || segment == "attach" ||
         segment == "mcp";
}

// The methods an agent surface takes, by its path below the sandbox ("files", "processes/7/
// logs"), so that any other is a 405 with Allow here, the same for every surface, before the
// agent is asked. Empty for a path the agent does not serve (its 404 says so).
std::vector<verb> agent_methods(const std::vector<std::string>& segments, std::size_t first) {
  const std::size_t n = segments.size() - first;
  const std::string& surface = segments[first];
  if (n == 1 && surface == "exec") return {verb::post};
  if (n == 1 && surface == "files") return {verb::get, verb::put, verb::delete_};
  if (n == 1 && surface == "attach") return {verb::get};
  if (n == 1 && surface == "mcp") return {verb::post, verb::delete_};
  if (surface != "processes" || n > 3) return {};
  if (n < 3) return {verb::get};  // the list, one process
  const std::string& action = segments[first + 2];
  if (action == "logs") return {verb::get};
  if (action == "stdin" || action == "signal" || action == "wait") return {verb::post};
  return {};
}

RouteKind agent_or_not_allowed(Route& route, verb method, const std::vector<verb>& allowed,
                               RouteKind kind) {
  if (allowed.empty() || std::find(allowed.begin(), allowed.end(), method) != allowed.end()) {
    return kind;
  }
  for (verb v : allowed) {
    if (!route.allow.empty()) route.allow += ", ";
    route.allow += std::string(boost::beast::http::to_string(v));
  }
  return RouteKind::MethodNotAllowed;
}

// The path without its first `skip` segments, and the query, encoding untouched:
// "/v1/sandboxes/{id}/files?path=x" -> "/files?path=x"; "/mcp" with skip 0 -> "/mcp".
std::string agent_target(const boost::urls::url_view& url, std::size_t skip = 3) {
  std::string path(url.encoded_path());
  std::size_t slashes = 0, at = 0;
  while (at < path.size() && slashes < skip + 1) {
    if (path[at] == '/') ++slashes;
    ++at;
  }
  std::string target = path.substr(at - 1);
  if (url.has_query()) target += "?" + std::string(url.encoded_query());
  return target;
}

}  // namespace

Route route(verb method, std::string_view target) {
  Route result;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    result.kind = RouteKind::BadTarget;
    return result;
  }
  for (const auto& param : url->params()) result.query[param.key] = param.value;
  std::vector<std::string> segments;
  for (const auto& segment : url->segments()) segments.push_back(segment);
  const auto n = segments.size();

  if (n == 1 && (segments[0] == "healthz" || segments[0] == "readyz")) {
    result.needs_auth = false;
    result.kind =
        by_method(result, method,
                  {{verb::get, segments[0] == "healthz" ? RouteKind::Healthz : RouteKind::Readyz}});
    return result;
  }
  if (n == 1 && segments[0] == "mcp") {  // the seeds' MCP endpoint (docs/api.md)
    result.kind = agent_or_not_allowed(result, method, {verb::post, verb::delete_}, RouteKind::Mcp);
    result.agent_target = agent_target(*url, 0);
    result.basic_auth = true;
    return result;
  }
  if (n == 1 && segments[0] == "metrics") {
    result.kind = by_method(result, method, {{verb::get, RouteKind::Metrics}});
    return result;
  }
  if (n == 1 && segments[0] == "openapi.json") {
    // Public, as the description of an API is (a client generator or a fuzzer reads it before
    // it has a token); it says nothing of any sandbox.
    result.needs_auth = false;
    result.kind = by_method(result, method, {{verb::get, RouteKind::OpenApi}});
    return result;
  }
  if ((n == 1 && (segments[0] == "spawn" || segments[0] == "deprovision-all")) ||
      (n == 2 && segments[0] == "deprovision")) {
    result.basic_auth = true;
    if (n == 2) {
      result.id = segments[1];
      result.kind = by_method(result, method, {{verb::delete_, RouteKind::SeedDeprovision}});
    } else if (segments[0] == "spawn") {
      result.kind = by_method(result, method, {{verb::post, RouteKind::SeedSpawn}});
    } else {
      result.kind = by_method(result, method, {{verb::delete_, RouteKind::SeedDeprovisionAll}});
    }
    return result;
  }
  if (n < 2 || segments[0] != "v1") return result;
  if (n == 2 && segments[1] == "version") {
    result.kind = by_method(result, method, {{verb::get, RouteKind::Version}});
  } else if (n == 2 && segments[1] == "sandboxes") {
    result.kind = by_method(result, method,
                            {{verb::get, RouteKind::ListSandboxes},
                             {verb::post, RouteKind::Spawn},
                             {verb::delete_, RouteKind::DeleteSandboxes}});
  } else if (n == 3 && segments[1] == "sandboxes") {
    result.id = segments[2];
    result.kind =
        by_method(result, method,
                  {{verb::get, RouteKind::GetSandbox}, {verb::delete_, RouteKind::DeleteSandbox}});
  } else if (n >= 4 && segments[1] == "sandboxes" && is_agent_surface(segments[3])) {
    result.id = segments[2];
    result.kind =
        agent_or_not_allowed(result, method, agent_methods(segments, 3), RouteKind::Agent);
    result.agent_target = agent_target(*url);
  } else if (n == 2 && segments[1] == "images") {
    result.kind = by_method(result, method, {{verb::get, RouteKind::ListImages}});
  } else if (n == 3 && segments[1] == "images" && segments[2] == "pull") {
    result.kind = by_method(result, method, {{verb::post, RouteKind::PullImage}});
  } else if (n == 3 && segments[1] == "images" && segments[2] == "load") {
    result.kind = by_method(result, method, {{verb::post, RouteKind::LoadImage}});
  } else if (n == 3 && segments[1] == "images" && segments[2] == "prune") {
    result.kind = by_method(result, method, {{verb::post, RouteKind::PruneImages}});
  } else if (n >= 3 && segments[1] == "images") {
    // A reference holds slashes: "/v1/images/ghcr.io/org/img:tag" names "ghcr.io/org/img:tag".
    for (std::size_t i = 2; i < n; ++i) result.id += (i > 2 ? "/" : "") + segments[i];
    result.kind =
        by_method(result, method,
                  {{verb::get, RouteKind::GetImage}, {verb::delete_, RouteKind::DeleteImage}});
  } else if (n == 4 && segments[1] == "sandboxes" && segments[3] == "keepalive") {
    result.id = segments[2];
    result.kind = by_method(result, method, {{verb::post, RouteKind::Keepalive}});
  }
  return result;
}

}  // namespace hive::server
