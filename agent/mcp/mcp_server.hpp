// The agent's MCP server: Streamable HTTP at /mcp (MCP-NOTES.md). POST carries one JSON-RPC
// message: initialize opens a session (Mcp-Session-Id), notifications and responses get 202,
// requests get JSON — or an SSE stream when they carry a progress token, with the progress
// notifications and then the response. GET answers 405 (no server-initiated stream); DELETE
// ends a session and cancels its calls. Batches are refused, as 2025-06-18 removed them.
#pragma once

#include <chrono>
#include <map>
#include <memory>

#include "common/http/exchange.hpp"
#include "toolbox.hpp"

namespace hive::agent::mcp {

class McpServer {
 public:
  McpServer(boost::asio::io_context& io, ExecContext context);
  void set_servers(std::vector<sandbox::mcp::StdioServerConfig> servers) {
    toolbox_.set_servers(std::move(servers));
  }
  boost::asio::awaitable<bool> serve(http::Exchange& exchange);

 private:
  struct Session {
    std::string id, revision;
    std::chrono::steady_clock::time_point used;
    std::map<std::string, ToolCallPtr> calls;  // in flight, by the JSON-RPC id's text
  };
  using Reply = http::Response;

  boost::asio::awaitable<bool> post(http::Exchange& exchange);
  Reply initialize(const http::Request& request, const Json& message);
  Reply end_session(const http::RequestHeader& header);
  boost::asio::awaitable<bool> dispatch(http::Exchange& exchange, const http::Request& request,
                                        std::shared_ptr<Session> session, const Json& message);
  boost::asio::awaitable<bool> call_tool(http::Exchange& exchange, const http::Request& request,
                                         std::shared_ptr<Session> session, const Json& message);
  boost::asio::awaitable<Json> run_call(const Json& id, const Json& params, ToolCallPtr call);
  Json list_page(const std::vector<Json>& tools, const std::vector<Json>& unavailable,
                 const Json& params, const Json& id);
  void notify(Session& session, const Json& message);

  boost::asio::io_context& io_;
  Toolbox toolbox_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace hive::agent::mcp
