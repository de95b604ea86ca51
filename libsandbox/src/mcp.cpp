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
  return std::find(std::begin(kRevisions), std::end(kRevisions), revision) != std::end(kRevisions);
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

namespace {

// The value of `--arg name=text` for a property of JSON-schema type `type` ("" when the
// schema does not say).
Result<Json> coerce(const std::string& name, const std::string& text, const std::string& type) {
  auto parsed = parse_json(text);
  const auto bad = [&](const std::string& what) {
    return make_error(Errc::invalid_argument, "--arg " + name + ": '" + text + "' is not " + what);
  };
  if (type == "string") return Json(text);
  if (type.empty()) return parsed ? *parsed : Json(text);
  if (!parsed) {
    return bad(type == "object" || type == "array" ? "a JSON " + type
               : type == "integer"                 ? "an integer"
                                                   : "a " + type);
  }
  if (type == "integer" && !parsed->is_number_integer()) return bad("an integer");
  if (type == "number" && !parsed->is_number()) return bad("a number");
  if (type == "boolean" && !parsed->is_boolean()) return bad("true or false");
  if (type == "object" && !parsed->is_object()) return bad("a JSON object");
  if (type == "array" && !parsed->is_array()) return bad("a JSON array");
  return *parsed;
}

std::string property_type(const Json& input_schema, const std::string& name) {
  if (!input_schema.is_object()) return "";
  const Json& properties = input_schema.value("properties", Json::object());
  if (!properties.is_object() || !properties.contains(name)) return "";
  const Json& type = properties[name].value("type", Json());
  return type.is_string() ? type.get<std::string>() : "";  // a list of types: leave it to JSON
}

}  // namespace

Result<Json> tool_arguments(const Json& input_schema, const std::vector<std::string>& pairs,
                            Json base) {
  if (!base.is_object()) return make_error(Errc::invalid_argument, "--json must be a JSON object");
  for (const auto& pair : pairs) {
    auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return make_error(Errc::invalid_argument, "--arg takes name=value, got '" + pair + "'");
    }
    const std::string name = pair.substr(0, equals);
    auto value = coerce(name, pair.substr(equals + 1), property_type(input_schema, name));
    if (!value) return value.error();
    base[name] = std::move(*value);
  }
  return base;
}

}  // namespace hive::sandbox::mcp
