// What the MCP integration tests share: a sandbox bridging the npm reference server.
#pragma once

#include <catch2/catch.hpp>

#include "hive/sandbox/client.hpp"
#include "process.hpp"

namespace hive::test {

inline const std::string kInteropDir = std::string(HIVE_SOURCE_DIR) + "/tests/interop";

inline sandbox::ClientOptions options_of(const TestServer& server) {
  return sandbox::ClientOptions{.server = server.url(), .token = server.token()};
}

// A sandbox whose spec bridges @modelcontextprotocol/server-everything as "everything" (copied
// in with hivectl cp from tests/interop/everything) and a "broken" server that cannot start.
inline std::string spawn_bridged(const TestServer& server) {
  const std::string dir = kInteropDir + "/everything";
  REQUIRE(
      !slurp(dir + "/node_modules/@modelcontextprotocol/server-everything/package.json").empty());
  sandbox::SandboxSpec spec;
  const std::string main =
      "/workspace/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
  spec.mcp_servers = {{"everything", {{"command", "node"}, {"args", {main, "stdio"}}}},
                      {"broken", {{"command", "/no/such/server"}}}};
  auto sb = server.client().spawn(spec);
  REQUIRE(sb);
  auto copied = server.hivectl({"cp", dir, sb->id + ":/workspace/everything"});
  REQUIRE(copied.exit_code == 0);
  return sb->id;
}

}  // namespace hive::test
