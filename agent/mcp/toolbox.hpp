// Every tool a sandbox's MCP server offers: the built-in ones, then those of the bridged stdio
// servers as `<server>_<tool>`. The servers come from the spawn spec's `mcp_servers` (handed
// over by /configure) and the image's /etc/hive/mcp.json; they start at the first use, so a
// sandbox that never speaks MCP pays nothing for them.
#pragma once

#include <memory>
#include <optional>

#include "stdio_server.hpp"

namespace hive::agent::mcp {

inline constexpr const char* kImageConfigPath = "/etc/hive/mcp.json";

class Toolbox {
 public:
  Toolbox(boost::asio::io_context& io, ExecContext context);
  // The spawn spec's servers; they replace any of the same name from the image's file.
  void set_servers(std::vector<sandbox::mcp::StdioServerConfig> servers);
  // Every tool; a bridged server that cannot start is left out and, with `unavailable`, named
  // there with why ({"server", "error"}), so a client can say so rather than list less.
  boost::asio::awaitable<std::vector<Json>> list(std::vector<Json>* unavailable = nullptr);
  // The tools/call result, or nullopt when there is no such tool.
  boost::asio::awaitable<std::optional<Json>> call(const std::string& name, ToolCallPtr call);

 private:
  void load_image_config();

  boost::asio::io_context& io_;
  ExecContext context_;
  std::vector<Tool> builtins_;
  std::vector<std::shared_ptr<StdioServer>> servers_;
  bool image_config_loaded_ = false;
};

}  // namespace hive::agent::mcp
