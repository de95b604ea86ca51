// One POSTed MCP message sorted before anything acts on it (MCP-NOTES.md): a pure function of
// the body and the MCP-Protocol-Version header, so it is unit tested and fuzzed apart from
// sessions and sockets.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "hive/sandbox/codec.hpp"

namespace hive::agent::mcp {

struct Incoming {
  sandbox::Json message;
  sandbox::Json id;    // null when the message has none
  std::string method;  // "" for a response
  bool initialize = false;
  bool expects_answer = false;  // a request (method and id), not a notification or response
};

// Answered with HTTP 400 and this JSON-RPC error.
struct Refused {
  int code = 0;
  std::string message;
  sandbox::Json id;
};

std::variant<Incoming, Refused> parse_message(std::string_view body, std::string_view revision);

}  // namespace hive::agent::mcp
