#include "hive/sandbox/mcp.hpp"

#include <algorithm>

#include "fields.hpp"

namespace hive::sandbox::mcp {
namespace {

constexpr std::size_t kMaxServerName = 32;

bool valid_server_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxServerName &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-';
         });
}

Result<StdioServerConfig> server_from_json(const std::string& name, const Json& body) {
  const std::string where = "mcp_servers." + name;
  if (!valid_server_name(name)) {
    return make_error(Errc::invalid_argument,
                      "mcp_servers: '" + name +
                          "' is not a server name (letters, digits and '-', at most 32; "
                          "no '_', which separates server and tool in `<server>_<tool>`)");
  }
  if (!body.is_object()) {
    return make_error(Errc::invalid_argument, "field '" + where + "': expected an object");
  }
  StdioServerConfig server;
  server.name = name;
  detail::Fields fields(body, where);
  fields.string("command", server.command);
  fields.string_list("args", server.args);
  fields.string_map("env", server.env);
  fields.string("cwd", server.cwd);
  (void)fields.raw("type");  // Claude-desktop files may say "stdio"
  if (auto r = fields.finish(); !r) return r.error();
  if (server.command.empty()) {
    return make_error(Errc::invalid_argument, "field '" + where + ".command' is required");
  }
  if (const Json* type = body.contains("type") ? &body["type"] : nullptr;
      type != nullptr && *type != "stdio") {
    return make_error(Errc::invalid_argument,
                      "field '" + where + ".type': only stdio servers are bridged");
  }
  if (!server.cwd.empty() && server.cwd.front() != '/') {
    return make_error(Errc::invalid_argument, "field '" + where + ".cwd' must be absolute");
  }
  return server;
}

}  // namespace

bool supported_revision(std::string_view revision) {
  return std::find(std::begin(kRevisions), std::end(kRevisions), revision) !=
         std::end(kRevisions);
}

Json error_message(const Json& id, int code, std::string_view message) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

Json result_message(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json tool_error(std::string_view text) {
  return Json{{"content", Json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
}

Result<std::vector<StdioServerConfig>> stdio_servers_from_json(const Json& servers) {
  if (!servers.is_object()) {
    return make_error(Errc::invalid_argument, "field 'mcp_servers': expected an object");
  }
  std::vector<StdioServerConfig> out;
  for (const auto& [name, body] : servers.items()) {
    auto server = server_from_json(name, body);
    if (!server) return server.error();
    out.push_back(std::move(*server));
  }
  return out;
}

Result<std::vector<StdioServerConfig>> stdio_servers_from_file_json(const Json& file) {
  if (!file.is_object() || !file.contains("mcpServers")) {
    return make_error(Errc::invalid_argument, "expected {\"mcpServers\": {...}}");
  }
  return stdio_servers_from_json(file["mcpServers"]);
}

}  // namespace hive::sandbox::mcp
