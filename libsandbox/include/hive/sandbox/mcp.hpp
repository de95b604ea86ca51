// MCP wire facts shared by the agent's server, the gateway and the client (MCP-NOTES.md):
// protocol revisions, JSON-RPC error shapes, and the stdio server configuration of a spawn
// spec's `mcp_servers` or an image's /etc/hive/mcp.json (Claude-desktop format).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hive/sandbox/codec.hpp"

namespace hive::sandbox::mcp {

// Newest first: the answer to a client asking for a revision we do not speak.
inline constexpr std::string_view kRevisions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};
inline constexpr std::string_view kLatestRevision = kRevisions[0];
bool supported_revision(std::string_view revision);

// JSON-RPC 2.0 error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;  // Hive's own: no session, sandbox gone...

Json error_message(const Json& id, int code, std::string_view message);
Json result_message(const Json& id, Json result);
// A tools/call result that reports a failure to the model (isError), not a protocol error.
Json tool_error(std::string_view text);

// One stdio MCP server the agent starts and bridges.
struct StdioServerConfig {
  std::string name;  // [A-Za-z0-9-]+: the prefix of its tools, `<name>_<tool>`
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;  // empty: the sandbox's workdir
};

// `{"name": {"command": "...", "args": [...], "env": {...}, "cwd": "..."}, ...}`; every
// problem named with its field.
Result<std::vector<StdioServerConfig>> stdio_servers_from_json(const Json& servers);
// The same, from a Claude-desktop file: `{"mcpServers": {...}}`.
Result<std::vector<StdioServerConfig>> stdio_servers_from_file_json(const Json& file);

// Tool arguments from `k=v` pairs, the Inspector's rule (MCP-NOTES.md): split on the first
// '=', read the value as JSON if it parses, else as a string; then follow the tool's
// inputSchema: a string property keeps the raw text, number/integer/boolean/object/array ones
// must parse as that type. `base` (from --json) is overlaid by the pairs.
Result<Json> tool_arguments(const Json& input_schema, const std::vector<std::string>& pairs,
                            Json base = Json::object());

}  // namespace hive::sandbox::mcp
