// Two small grammars a client sends: label selectors (?selector=run=42,tier!=x,env in (a,b),
// !gone), parsed then matched against a few label sets, a selector that parses selecting
// consistently; and image references (python:3.12, host:5000/x/y@sha256:...), whose
// canonical form must parse back to itself and never hold a path's "..", since the store and
// the registry's URLs are made from it.
#include "hive/sandbox/selector.hpp"
#include "images/reference.hpp"

using namespace hive::sandbox;

namespace {

void check_reference(const std::string& text) {
  auto ref = hive::server::images::parse_reference(text);
  if (!ref) return;
  auto again = hive::server::images::parse_reference(ref->canonical());
  if (!again || again->canonical() != ref->canonical()) __builtin_trap();
  if (ref->repository.find("..") != std::string::npos) __builtin_trap();
  if (ref->repository.find_first_of("?#% \\") != std::string::npos) __builtin_trap();
  if (!ref->digest.empty() && !hive::server::images::is_sha256_digest(ref->digest))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_reference(std::string(input));
  auto selector = parse_selector(input);
  if (!selector) return 0;
  static const std::map<std::string, std::string> label_sets[] = {
      {}, {{"run", "42"}}, {{"run", "42"}, {"tier", "x"}, {"env", "a"}}};
  for (const auto& labels : label_sets) {
    if (selector->matches(labels) != selector->matches(labels)) __builtin_trap();
  }
  if (selector->empty() && !selector->matches({})) __builtin_trap();  // empty selects all
  return 0;
}
