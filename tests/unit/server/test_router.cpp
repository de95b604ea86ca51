#include <catch2/catch.hpp>

#include "api/router.hpp"

using namespace hive::server;
using boost::beast::http::verb;

TEST_CASE("routes map methods and paths", "[unit]") {
  CHECK(route(verb::get, "/healthz").kind == RouteKind::Healthz);
  CHECK_FALSE(route(verb::get, "/healthz").needs_auth);
  CHECK(route(verb::get, "/readyz").kind == RouteKind::Readyz);
  CHECK(route(verb::get, "/v1/version").needs_auth);
  CHECK(route(verb::get, "/v1/sandboxes").kind == RouteKind::ListSandboxes);
  CHECK(route(verb::post, "/v1/sandboxes").kind == RouteKind::Spawn);
  auto get = route(verb::get, "/v1/sandboxes/sb-1");
  CHECK(get.kind == RouteKind::GetSandbox);
  CHECK(get.id == "sb-1");
  CHECK(route(verb::delete_, "/v1/sandboxes/sb-1").kind == RouteKind::DeleteSandbox);
  auto exec = route(verb::post, "/v1/sandboxes/sb-1/exec");
  CHECK(exec.kind == RouteKind::Agent);
  CHECK(exec.id == "sb-1");
  CHECK(exec.agent_target == "/exec");
  CHECK(route(verb::post, "/v1/sandboxes/sb-1/keepalive").kind == RouteKind::Keepalive);
  CHECK(route(verb::post, "/v1/sandboxes/sb-1/mcp").agent_target == "/mcp");
  auto mcp = route(verb::post, "/mcp");  // the sandbox comes from X-Session-ID
  CHECK(mcp.kind == RouteKind::Mcp);
  CHECK(mcp.agent_target == "/mcp");
  CHECK(mcp.id.empty());
  CHECK(mcp.needs_auth);
  CHECK(route(verb::get, "/mcp?x=1").agent_target == "/mcp?x=1");
  CHECK(route(verb::post, "/mcp/other").kind == RouteKind::NotFound);
}

TEST_CASE("the seeds' control-plane routes take Basic credentials, Hive's own do not", "[unit]") {
  auto spawn = route(verb::post, "/spawn");
  CHECK(spawn.kind == RouteKind::SeedSpawn);
  CHECK(spawn.needs_auth);
  CHECK(spawn.basic_auth);
  auto one = route(verb::delete_, "/deprovision/sb-12345678");
  CHECK(one.kind == RouteKind::SeedDeprovision);
  CHECK(one.id == "sb-12345678");
  CHECK(route(verb::delete_, "/deprovision-all").kind == RouteKind::SeedDeprovisionAll);
  CHECK(route(verb::get, "/spawn").kind == RouteKind::MethodNotAllowed);
  CHECK(route(verb::post, "/deprovision-all").kind == RouteKind::MethodNotAllowed);
  CHECK(route(verb::post, "/mcp").basic_auth);
  CHECK_FALSE(route(verb::post, "/v1/sandboxes").basic_auth);
  CHECK_FALSE(route(verb::get, "/metrics").basic_auth);
  CHECK(route(verb::get, "/metrics").kind == RouteKind::Metrics);
  CHECK(route(verb::get, "/metrics").needs_auth);
  CHECK(route(verb::get, "/openapi.json").kind == RouteKind::OpenApi);
  CHECK_FALSE(route(verb::get, "/openapi.json").needs_auth);  // read before a token exists
}

TEST_CASE("wrong methods and unknown paths are told apart", "[unit]") {
  CHECK(route(verb::put, "/v1/sandboxes").kind == RouteKind::MethodNotAllowed);
  CHECK(route(verb::patch, "/v1/sandboxes/sb-1/keepalive").kind == RouteKind::MethodNotAllowed);
  CHECK(route(verb::get, "/v2/sandboxes").kind == RouteKind::NotFound);
  CHECK(route(verb::get, "/").kind == RouteKind::NotFound);
  CHECK(route(verb::get, "/v1/sandboxes/a/b/c").kind == RouteKind::NotFound);
  CHECK(route(verb::get, "http://x/y").kind == RouteKind::BadTarget);
}

TEST_CASE("a method an agent surface does not take is a 405 with Allow, here", "[unit]") {
  struct Case {
    verb method;
    const char* target;
    const char* allow;
  };
  auto c = GENERATE(values<Case>({
      {verb::get, "/v1/sandboxes/sb-1/exec", "POST"},
      {verb::trace, "/mcp", "POST, DELETE"},
      {verb::get, "/mcp", "POST, DELETE"},
      {verb::patch, "/v1/sandboxes/sb-1/files?path=x", "GET, PUT, DELETE"},
      {verb::post, "/v1/sandboxes/sb-1/processes", "GET"},
      {verb::get, "/v1/sandboxes/sb-1/processes/7/wait", "POST"},
      {verb::put, "/v1/sandboxes/sb-1/processes/7/logs", "GET"},
      {verb::post, "/v1/sandboxes/sb-1/attach", "GET"},
  }));
  auto r = route(c.method, c.target);
  CHECK(r.kind == RouteKind::MethodNotAllowed);
  CHECK(r.allow == c.allow);
  // What they do take still goes to the agent.
  CHECK(route(verb::post, "/v1/sandboxes/sb-1/processes/7/wait").kind == RouteKind::Agent);
  CHECK(route(verb::delete_, "/mcp").kind == RouteKind::Mcp);
}

TEST_CASE("query parameters and ids are percent-decoded", "[unit]") {
  auto list = route(verb::get, "/v1/sandboxes?state=Running&selector=run%3D42");
  CHECK(list.query.at("state") == "Running");
  CHECK(list.query.at("selector") == "run=42");
  // An encoded slash stays inside the one segment: it cannot reach another route.
  auto get = route(verb::get, "/v1/sandboxes/a%2Fexec");
  CHECK(get.kind == RouteKind::GetSandbox);
  CHECK(get.id == "a/exec");
}

TEST_CASE("the agent's surface keeps its path and query, still encoded", "[unit]") {
  auto files = route(verb::get, "/v1/sandboxes/sb-1/files?path=%2Fworkspace%2Fa%20b");
  CHECK(files.kind == RouteKind::Agent);
  CHECK(files.agent_target == "/files?path=%2Fworkspace%2Fa%20b");
  auto logs = route(verb::get, "/v1/sandboxes/sb-1/processes/42/logs?follow=true");
  CHECK(logs.agent_target == "/processes/42/logs?follow=true");
  CHECK(route(verb::get, "/v1/sandboxes/sb-1/attach?tty=true").agent_target == "/attach?tty=true");
  // Only the agent's own surfaces pass; anything else is not found here.
  CHECK(route(verb::get, "/v1/sandboxes/sb-1/configure").kind == RouteKind::NotFound);
  CHECK(route(verb::get, "/v1/sandboxes/sb-1/healthz").kind == RouteKind::NotFound);
}
