// An MCP client session with one sandbox's tools, through the gateway's
// /v1/sandboxes/{id}/mcp (Streamable HTTP, MCP-NOTES.md): initialize on open, tools/list over
// every page, tools/call with progress (the server then answers as an SSE stream), and DELETE
// when closed or destroyed. Not thread-safe; one per thread.
//
//   auto mcp = hive::sandbox::McpSession::open(options, "sb-1234");
//   auto result = mcp->call_tool("run_command", {{"command", "ls"}});
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hive/sandbox/client.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::sandbox {

struct McpTool {
  std::string name, title, description;
  Json input_schema = Json::object(), output_schema;  // output_schema: null when none
};

struct McpProgress {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};

struct McpCallResult {
  Json content = Json::array();  // the content blocks as sent
  Json structured;               // structuredContent, null when none
  bool is_error = false;
  // The text blocks joined by newlines; other blocks as a one-line placeholder.
  std::string text() const;
};

class Transport;

class McpSession {
 public:
  using OnProgress = std::function<void(const McpProgress&)>;

  static Result<McpSession> open(const ClientOptions& options, const std::string& sandbox);
  McpSession(McpSession&&) noexcept;
  McpSession& operator=(McpSession&&) noexcept;
  ~McpSession();  // closes the session if still open

  const std::string& protocol_version() const { return protocol_version_; }
  const Json& server_info() const { return server_info_; }

  // With `unavailable`: why a bridged server's tools are missing, one message a server ("MCP
  // server 'fs' could not start: ..."), from the agent's _meta["hive/unavailable"].
  Result<std::vector<McpTool>> list_tools(std::vector<std::string>* unavailable = nullptr);
  // A result with is_error is the tool failing, not the call: the Result holds an Error only
  // when the call itself did not happen (no such tool, sandbox gone, bad arguments...).
  Result<McpCallResult> call_tool(const std::string& name, const Json& arguments,
                                  const OnProgress& on_progress = {});
  Result<void> ping();
  Result<void> close();

 private:
  McpSession();
  Result<Json> request(const std::string& method, Json params, const OnProgress& on_progress);
  std::vector<std::string> headers() const;

  std::unique_ptr<Transport> transport_;
  std::string path_, session_id_, protocol_version_;
  Json server_info_;
  std::int64_t next_id_ = 1;
};

}  // namespace hive::sandbox
