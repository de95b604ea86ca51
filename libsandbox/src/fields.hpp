// Reads a JSON object field by field with typed checks. The first problem is kept (with the
// field's name in the message); later reads become no-ops, and finish() reports it, or an
// unknown field, so a typo like "imgae" is an error rather than silently ignored.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hive/sandbox/codec.hpp"

namespace hive::sandbox::detail {

// The error every decoder and validator returns for bad input.
inline Error invalid(std::string message) {
  return make_error(Errc::invalid_argument, std::move(message));
}

class Fields {
 public:
  Fields(const Json& object, std::string where);

  void string(const char* name, std::string& out);
  void integer(const char* name, std::int64_t& out, std::int64_t min = 0,
               std::int64_t max = std::numeric_limits<std::int64_t>::max());
  void number(const char* name, double& out, double min, double max);
  void boolean(const char* name, bool& out);
  void string_map(const char* name, std::map<std::string, std::string>& out);
  void string_list(const char* name, std::vector<std::string>& out);
  void object(const char* name, Json& out);
  // The raw value, or nullptr when absent; marks the field as known.
  const Json* raw(const char* name);
  void fail(Error error);
  bool failed() const { return error_.has_value(); }
  // Reports the first problem, or a field nobody asked for when strict.
  Result<void> finish(bool strict = true);

 private:
  const Json* take(const char* name, Json::value_t type, const char* type_name);
  void type_error(const char* name, const char* type_name, const Json& got);

  const Json& object_;
  std::string where_;
  std::set<std::string, std::less<>> known_;
  std::optional<Error> error_;
};

}  // namespace hive::sandbox::detail
