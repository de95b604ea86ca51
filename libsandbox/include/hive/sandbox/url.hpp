// Request targets without a URL library: the agent is linked statically and needs only
// "/path?k=v&k2=v2" with percent-decoding; the client needs to encode query values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hive/error.hpp"

namespace hive::sandbox {

struct Target {
  std::string path;                               // decoded
  std::multimap<std::string, std::string> query;  // decoded, in order; keys may repeat
  // The first value of key, or fallback.
  std::string value(const std::string& key, const std::string& fallback = "") const;
  // Every value of a repeated key, in order ("?command=ls&command=-la").
  std::vector<std::string> values(const std::string& key) const;
};

// Parses an origin-form target ("/files?path=%2Ftmp"). Rejects a malformed percent escape,
// a NUL byte, and a path that does not start with '/'.
Result<Target> parse_target(std::string_view target);

// Encodes everything but RFC 3986's unreserved characters (and '/' when keep_slash).
std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace hive::sandbox
