#include "message.hpp"

#include "hive/sandbox/mcp.hpp"

namespace hive::agent::mcp {

namespace wire = sandbox::mcp;
using sandbox::Json;

std::variant<Incoming, Refused> parse_message(std::string_view body, std::string_view revision) {
  auto message = sandbox::parse_json(body);
  if (!message) return Refused{wire::kParseError, message.error().message, nullptr};
  if (message->is_array()) {
    return Refused{wire::kInvalidRequest,
                   "JSON-RPC batches are not supported (removed in 2025-06-18)", nullptr};
  }
  const bool object = message->is_object();
  Json id = object ? message->value("id", Json()) : Json();
  auto method = object ? message->find("method") : message->end();
  auto version = object ? message->find("jsonrpc") : message->end();
  if (!object || version == message->end() || *version != "2.0" ||
      (method != message->end() && !method->is_string())) {
    return Refused{wire::kInvalidRequest, "not a JSON-RPC 2.0 message", std::move(id)};
  }
  if (!revision.empty() && !wire::supported_revision(revision)) {
    return Refused{wire::kInvalidRequest,
                   "unsupported MCP-Protocol-Version '" + std::string(revision) +
                       "' (supported: 2025-03-26, 2025-06-18, 2025-11-25)",
                   std::move(id)};
  }
  Incoming in;
  in.method = method != message->end() ? method->get<std::string>() : "";
  in.expects_answer = !in.method.empty() && message->contains("id");
  in.initialize = in.method == "initialize" && in.expects_answer;
  in.id = std::move(id);
  in.message = std::move(*message);
  return in;
}

}  // namespace hive::agent::mcp
