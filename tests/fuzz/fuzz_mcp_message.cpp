// MCP message parsing as the agent does it on POST /mcp, with a protocol-version header taken
// from the input's first line.
#include "agent/mcp/message.hpp"

using namespace hive::agent::mcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string_view revision = newline == std::string_view::npos ? "" : input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  auto parsed = parse_message(body, revision);
  if (auto* in = std::get_if<Incoming>(&parsed)) {
    if (in->initialize && !in->expects_answer) __builtin_trap();
    if (!in->message.is_object()) __builtin_trap();
  }
  return 0;
}
