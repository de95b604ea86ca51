#include "toolbox.hpp"

#include <fstream>
#include <sstream>

namespace hive::agent::mcp {
namespace {

namespace asio = boost::asio;

// `<server>_<tool>`: server names have no '_', so the first one splits.
std::pair<std::string, std::string> split_name(const std::string& name) {
  auto underscore = name.find('_');
  if (underscore == std::string::npos) return {"", name};
  return {name.substr(0, underscore), name.substr(underscore + 1)};
}

}  // namespace

Toolbox::Toolbox(asio::io_context& io, ExecContext context)
    : io_(io), context_(context), builtins_(builtin_tools(io, context_)) {}

void Toolbox::set_servers(std::vector<sandbox::mcp::StdioServerConfig> servers) {
  load_image_config();
  for (auto& config : servers) {
    std::erase_if(servers_, [&](const auto& s) { return s->name() == config.name; });
    servers_.push_back(std::make_shared<StdioServer>(io_, context_, std::move(config)));
  }
}

// Read once, at the first use: by then the sandbox's root is in place.
void Toolbox::load_image_config() {
  if (std::exchange(image_config_loaded_, true)) return;
  std::ifstream file(kImageConfigPath);
  if (!file) return;
  std::stringstream text;
  text << file.rdbuf();
  auto json = sandbox::parse_json(text.str());
  auto servers = json ? sandbox::mcp::stdio_servers_from_file_json(*json)
                      : Result<std::vector<sandbox::mcp::StdioServerConfig>>(json.error());
  if (!servers) {
    log_line(std::string(kImageConfigPath) + ": " + servers.error().message);
    return;
  }
  for (auto& config : *servers) {
    servers_.push_back(std::make_shared<StdioServer>(io_, context_, std::move(config)));
  }
}

asio::awaitable<std::vector<Json>> Toolbox::list(std::vector<Json>* unavailable) {
  load_image_config();
  std::vector<Json> out;
  for (const auto& tool : builtins_) out.push_back(tool.descriptor);
  for (auto server : servers_) {
    if (auto running = co_await server->ensure_running(); !running) {  // logged by the server
      if (unavailable != nullptr) {
        unavailable->push_back({{"server", server->name()}, {"error", running.error().message}});
      }
      continue;
    }
    for (Json tool : server->tools()) {
      tool["name"] = server->name() + "_" + tool["name"].get<std::string>();
      out.push_back(std::move(tool));
    }
  }
  co_return out;
}

asio::awaitable<std::optional<Json>> Toolbox::call(const std::string& name, ToolCallPtr call) {
  load_image_config();
  for (const auto& tool : builtins_) {
    if (tool.descriptor["name"] == name) co_return co_await tool.call(std::move(call));
  }
  auto [server_name, tool_name] = split_name(name);
  for (auto server : servers_) {
    if (server->name() != server_name) continue;
    if (auto running = co_await server->ensure_running(); !running) {
      co_return tool_error(running.error().message);
    }
    for (const auto& tool : server->tools()) {
      if (tool["name"] == tool_name) co_return co_await server->call(tool_name, std::move(call));
    }
  }
  co_return std::nullopt;
}

}  // namespace hive::agent::mcp
