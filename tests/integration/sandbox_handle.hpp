// A spawned sandbox as the escape and containment tests drive it: a shell command through
// hivectl, a raw HTTP call with the admin's token, an MCP tool call.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "process.hpp"

namespace hive::test {

struct SandboxHandle {
  const TestServer& server;
  std::string id;

  Outcome sh(const std::string& script) const {
    return server.hivectl({"exec", id, "--", "sh", "-c", script});
  }
  std::string files_url(const std::string& path) const {
    return server.url() + "/v1/sandboxes/" + id + "/files?path=" + path;
  }
  // Body and status (" 403") of a curl call, with the admin's token.
  std::string curl(std::vector<std::string> args, const std::string& input = "") const {
    std::vector<std::string> argv{"/usr/bin/curl",
                                  "-s",
                                  "-o",
                                  "-",
                                  "-w",
                                  " %{http_code}",
                                  "-H",
                                  "Authorization: Bearer " + server.token()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input).out;
  }
  Outcome mcp(const std::string& tool, const std::string& json) const {
    return server.hivectl({"mcp", "call", id, tool, "--json", json});
  }
};

// `hivectl spawn FLAGS...`, which must succeed.
inline SandboxHandle spawn_sandbox(const TestServer& server, std::vector<std::string> flags = {}) {
  std::vector<std::string> args{"spawn"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto id = trim(server.hivectl(args).out);
  REQUIRE(!id.empty());
  return SandboxHandle{server, id};
}

}  // namespace hive::test
