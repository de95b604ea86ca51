// Label selectors as kubectl writes them: "a=b,c!=d,e in (x,y),f notin (z),g,!h".
// Parsed once (server and client share the rules), then matched against a sandbox's labels.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hive/error.hpp"

namespace hive::sandbox {

struct Requirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;
};

struct Selector {
  std::vector<Requirement> requirements;  // all must hold; none selects everything

  bool empty() const { return requirements.empty(); }
  bool matches(const std::map<std::string, std::string>& labels) const;
};

Result<Selector> parse_selector(std::string_view text);

}  // namespace hive::sandbox
