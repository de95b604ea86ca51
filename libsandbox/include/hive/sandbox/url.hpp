// Request targets without a URL library: the agent is linked statically and needs only
// "/path?k=v&k2=v2" with percent-decoding; the client needs to encode query values.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "hive/error.hpp"

namespace hive::sandbox {

struct Target {
  std::string path;                          // decoded
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps the last value
};

// Parses an origin-form target ("/files?path=%2Ftmp"). Rejects a malformed percent escape,
// a NUL byte, and a path that does not start with '/'.
Result<Target> parse_target(std::string_view target);

// Encodes everything but RFC 3986's unreserved characters (and '/' when keep_slash).
std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace hive::sandbox
