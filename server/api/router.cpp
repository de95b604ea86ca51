#include "api/router.hpp"

#include <vector>

#include <boost/url/parse.hpp>

namespace hive::server {
namespace {

using boost::beast::http::verb;

// Picks the route for a method on a known path, or MethodNotAllowed.
RouteKind by_method(verb method, std::initializer_list<std::pair<verb, RouteKind>> allowed) {
  for (const auto& [v, kind] : allowed) {
    if (v == method) return kind;
  }
  return RouteKind::MethodNotAllowed;
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
    result.kind = by_method(
        method, {{verb::get, segments[0] == "healthz" ? RouteKind::Healthz : RouteKind::Readyz}});
    return result;
  }
  if (n < 2 || segments[0] != "v1") return result;
  if (n == 2 && segments[1] == "version") {
    result.kind = by_method(method, {{verb::get, RouteKind::Version}});
  } else if (n == 2 && segments[1] == "sandboxes") {
    result.kind = by_method(method, {{verb::get, RouteKind::ListSandboxes},
                                     {verb::post, RouteKind::Spawn},
                                     {verb::delete_, RouteKind::DeleteSandboxes}});
  } else if (n == 3 && segments[1] == "sandboxes") {
    result.id = segments[2];
    result.kind = by_method(
        method, {{verb::get, RouteKind::GetSandbox}, {verb::delete_, RouteKind::DeleteSandbox}});
  } else if (n == 4 && segments[1] == "sandboxes" && segments[3] == "exec") {
    result.id = segments[2];
    result.kind = by_method(method, {{verb::post, RouteKind::Exec}});
  } else if (n == 4 && segments[1] == "sandboxes" && segments[3] == "keepalive") {
    result.id = segments[2];
    result.kind = by_method(method, {{verb::post, RouteKind::Keepalive}});
  }
  return result;
}

}  // namespace hive::server
