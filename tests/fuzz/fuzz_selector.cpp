// Label selectors (?selector=run=42,tier!=x,env in (a,b),!gone): parsing, then matching
// against a few label sets; a selector that parses selects consistently.
#include "hive/sandbox/selector.hpp"

using namespace hive::sandbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto selector = parse_selector(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!selector) return 0;
  static const std::map<std::string, std::string> label_sets[] = {
      {}, {{"run", "42"}}, {{"run", "42"}, {"tier", "x"}, {"env", "a"}}};
  for (const auto& labels : label_sets) {
    if (selector->matches(labels) != selector->matches(labels)) __builtin_trap();
  }
  if (selector->empty() && !selector->matches({})) __builtin_trap();  // empty selects all
  return 0;
}
