#include "fields.hpp"

namespace hive::sandbox::detail {

Fields::Fields(const Json& object, std::string where) : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) {
    fail(make_error(Errc::invalid_argument,
                    where_ + ": expected a JSON object, got " + object_.type_name()));
  }
}

void Fields::fail(Error error) {
  if (!error_) error_ = std::move(error);
}

void Fields::type_error(const char* name, const char* type_name, const Json& got) {
  fail(make_error(Errc::invalid_argument, "field '" + std::string(name) + "': expected " +
                                              type_name + ", got " + got.type_name()));
}

const Json* Fields::raw(const char* name) {
  known_.insert(name);
  if (failed()) return nullptr;
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* Fields::take(const char* name, Json::value_t type, const char* type_name) {
  const Json* value = raw(name);
  if (value == nullptr) return nullptr;
  bool matches = value->type() == type ||
                 (type == Json::value_t::number_integer && value->is_number_unsigned()) ||
                 (type == Json::value_t::number_float && value->is_number());
  if (!matches) {
    type_error(name, type_name, *value);
    return nullptr;
  }
  return value;
}

void Fields::string(const char* name, std::string& out) {
  if (const Json* v = take(name, Json::value_t::string, "a string")) out = v->get<std::string>();
}

void Fields::integer(const char* name, std::int64_t& out, std::int64_t min, std::int64_t max) {
  const Json* v = take(name, Json::value_t::number_integer, "an integer");
  if (v == nullptr) return;
  bool in_range = false;
  if (v->is_number_unsigned()) {
    auto value = v->get<std::uint64_t>();
    in_range = value <= static_cast<std::uint64_t>(max) &&
               (min <= 0 || value >= static_cast<std::uint64_t>(min));
    if (in_range) out = static_cast<std::int64_t>(value);
  } else {
    auto value = v->get<std::int64_t>();
    in_range = value >= min && value <= max;
    if (in_range) out = value;
  }
  if (!in_range) {
    fail(make_error(Errc::invalid_argument, "field '" + std::string(name) + "': " + v->dump() +
                                                " is outside " + std::to_string(min) + ".." +
                                                std::to_string(max)));
  }
}

void Fields::number(const char* name, double& out, double min, double max) {
  const Json* v = take(name, Json::value_t::number_float, "a number");
  if (v == nullptr) return;
  out = v->get<double>();
  if (!(out >= min && out <= max)) {
    fail(make_error(Errc::invalid_argument, "field '" + std::string(name) + "': " + v->dump() +
                                                " is outside " + std::to_string(min) + ".." +
                                                std::to_string(max)));
  }
}

void Fields::boolean(const char* name, bool& out) {
  if (const Json* v = take(name, Json::value_t::boolean, "true or false")) out = v->get<bool>();
}

void Fields::string_map(const char* name, std::map<std::string, std::string>& out) {
  const Json* v = take(name, Json::value_t::object, "an object of strings");
  if (v == nullptr) return;
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) {
      fail(make_error(Errc::invalid_argument, "field '" + std::string(name) + "." + key +
                                                  "': expected a string, got " +
                                                  value.type_name()));
      return;
    }
    out[key] = value.get<std::string>();
  }
}

void Fields::string_list(const char* name, std::vector<std::string>& out) {
  const Json* v = take(name, Json::value_t::array, "an array of strings");
  if (v == nullptr) return;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) {
      fail(make_error(Errc::invalid_argument,
                      "field '" + std::string(name) + "[" + std::to_string(i) +
                          "]': expected a string, got " + item.type_name()));
      return;
    }
    out.push_back(item.get<std::string>());
  }
}

void Fields::object(const char* name, Json& out) {
  if (const Json* v = take(name, Json::value_t::object, "an object")) out = *v;
}

Result<void> Fields::finish(bool strict) {
  if (error_) return *error_;
  if (strict) {
    for (const auto& [key, value] : object_.items()) {
      if (known_.count(key) == 0) {
        return make_error(Errc::invalid_argument, where_ + ": unknown field '" + key + "'");
      }
    }
  }
  return {};
}

}  // namespace hive::sandbox::detail
