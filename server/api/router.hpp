// Routing as a pure function: (method, target) -> Route. Tested without sockets.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

namespace hive::server {

enum class RouteKind {
  Healthz,
  Readyz,
  Version,
  ListSandboxes,
  Spawn,
  GetSandbox,
  DeleteSandbox,
  DeleteSandboxes,
  Agent,  // exec, processes, files, attach, mcp: proxied to the sandbox's agent
  Mcp,    // /mcp: proxied to the agent of the sandbox named by the X-Session-ID header
  Keepalive,
  Metrics,  // Prometheus text
  OpenApi,  // /openapi.json
  // The local runtime's images (admin only): list, pull (NDJSON progress), get, delete, prune.
  ListImages,
  PullImage,
  LoadImage,
  GetImage,
  DeleteImage,
  PruneImages,
  // The seeds' control plane (Ash / StationHive), for their clients unchanged (docs/api.md).
  SeedSpawn,           // POST /spawn
  SeedDeprovision,     // DELETE /deprovision/{uuid}
  SeedDeprovisionAll,  // DELETE /deprovision-all
  NotFound,
  MethodNotAllowed,
  BadTarget,
};

struct Route {
  RouteKind kind = RouteKind::NotFound;
  std::string id;  // the {id} path segment, decoded; an image's reference (it holds '/')
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string agent_target;                  // Agent: the agent's path and query, still encoded
  std::string allow;  // MethodNotAllowed: the methods the path takes, for the Allow header
  bool needs_auth = true;
  // Whether Basic credentials (the token as password, from a URL's userinfo) are taken: only
  // where the seeds' clients call, which send no credentials of their own.
  bool basic_auth = false;
};

Route route(boost::beast::http::verb method, std::string_view target);

}  // namespace hive::server
