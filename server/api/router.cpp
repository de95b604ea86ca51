#include "api/router.hpp"

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
    result.kind = RouteKind::Mcp;
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
    result.kind = RouteKind::Agent;  // the agent answers 405 for a method it does not take
    result.agent_target = agent_target(*url);
  } else if (n == 4 && segments[1] == "sandboxes" && segments[3] == "keepalive") {
    result.id = segments[2];
    result.kind = by_method(result, method, {{verb::post, RouteKind::Keepalive}});
  }
  return result;
}

}  // namespace hive::server
