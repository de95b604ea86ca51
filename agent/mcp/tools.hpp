// What an MCP tool is to the agent's server: a descriptor (name, description, inputSchema,
// outputSchema?) and a coroutine that turns arguments into a tools/call result. A call carries
// a progress callback (when the client sent a progress token) and can be cancelled
// (notifications/cancelled, or its session deleted). Everything runs on the agent's io thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "children.hpp"
#include "exec.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/mcp.hpp"

namespace hive::agent::mcp {

using sandbox::Json;
using sandbox::mcp::tool_error;

struct ToolCall {
  Json arguments = Json::object();
  // notifications/progress params without the token ({progress, total?, message?}); empty
  // when the client asked for none.
  std::function<void(Json)> progress;
  bool cancelled = false;
  std::function<void()> on_cancel;  // set by a tool that can stop its work early

  void cancel() {
    cancelled = true;
    if (auto stop = std::exchange(on_cancel, nullptr)) stop();
  }
};
using ToolCallPtr = std::shared_ptr<ToolCall>;

struct Tool {
  Json descriptor;  // as tools/list shows it
  std::function<boost::asio::awaitable<Json>(ToolCallPtr)> call;
};

// What the built-in tools run with: the agent's children and the sandbox's current defaults
// (a warm-pool claim may change the workdir after start).
struct ExecContext {
  Children& children;
  const ExecDefaults& defaults;
};

// Built-in tools: run_command, read_file, write_file, list_files, fetch.
std::vector<Tool> builtin_tools(boost::asio::io_context& io, const ExecContext& context);

// One line on the agent's stderr (the sandbox's log): what went wrong with a bridged server.
void log_line(const std::string& text);

// A text result; with `structured`, also its structuredContent (the same JSON as the text).
Json text_result(std::string text, bool is_error = false);
Json structured_result(Json structured, bool is_error = false);

}  // namespace hive::agent::mcp
