#include "store/record_fields.hpp"

#include "hive/sandbox/codec.hpp"

namespace hive::server {
namespace {

using nlohmann::json;

std::string take_string(json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end()) return "";
  std::string value = it->is_string() ? it->get<std::string>() : "";
  data.erase(it);
  return value;
}

}  // namespace

std::string teardown_column(const std::optional<TeardownRetry>& teardown) {
  if (!teardown) return "";
  return sandbox::dump(json{{"reason", teardown->reason},
                            {"attempts", teardown->attempts},
                            {"retry_at", teardown->retry_at}});
}

std::optional<TeardownRetry> teardown_from_column(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto parsed = sandbox::parse_json(text, 4);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const json& j = *parsed;
  TeardownRetry retry;
  if (j.contains("reason") && j["reason"].is_string()) retry.reason = j["reason"];
  if (j.contains("attempts") && j["attempts"].is_number_integer()) retry.attempts = j["attempts"];
  if (j.contains("retry_at") && j["retry_at"].is_string()) retry.retry_at = j["retry_at"];
  return retry;
}

bool lift_legacy_keys(Record& record) {
  json& data = record.runtime_data;
  if (!data.is_object()) return false;
  const bool legacy = data.contains("pool") || data.contains("reaped_at") ||
                      data.contains("claim") || data.contains("teardown_reason");
  if (!legacy) return false;
  record.pool = take_string(data, "pool");
  record.reaped_at = take_string(data, "reaped_at");
  data.erase("claim");  // a claim's marker, written with the claim and meaningless after it
  if (data.contains("teardown_reason")) {
    TeardownRetry retry;
    retry.reason = take_string(data, "teardown_reason");
    if (auto it = data.find("teardown_attempts"); it != data.end() && it->is_number_integer()) {
      retry.attempts = it->get<int>();
    }
    retry.retry_at = take_string(data, "teardown_retry_at");
    record.teardown = retry;
  }
  data.erase("teardown_attempts");
  data.erase("teardown_retry_at");
  return true;
}

}  // namespace hive::server
