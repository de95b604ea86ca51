// JSON decoding of every request type: the first byte picks the decoder, the rest is the body.
// A spec that decodes must encode and decode again to the same JSON.
#include "api/seed_api.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/mcp.hpp"

using namespace hive::sandbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto body = parse_json(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (!body) return 0;
  switch (data[0] % 7) {
    case 0: {
      auto spec = spec_from_json(*body);
      if (spec) {
        auto again = spec_from_json(to_json(*spec));
        if (!again || to_json(*again) != to_json(*spec)) __builtin_trap();
      }
      break;
    }
    case 1:
      (void)exec_request_from_json(*body);
      break;
    case 2:
      (void)sandbox_from_json(*body);
      break;
    case 3:
      (void)exec_event_from_json(*body);
      break;
    case 4:
      (void)mcp::stdio_servers_from_json(*body);
      break;
    case 5:
      (void)mcp::stdio_servers_from_file_json(*body);
      break;
    case 6:
      (void)hive::server::seed_spawn_spec(*body);
      break;
  }
  return 0;
}
