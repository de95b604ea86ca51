// JSON <-> typed API shapes. Parsing validates every field a user controls and answers a
// Result whose message names the field ("field 'ttl_seconds': expected an integer").
// nlohmann exceptions never escape this layer.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::sandbox {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 32;

// Parses text as JSON, refusing nesting deeper than max_depth.
// JSON text that never throws: a string holding bytes that are not UTF-8 (an error message
// quoting a client's input, a name cut mid-character) is written with U+FFFD in their place.
// Every body Hive sends goes through it; nlohmann's dump() would throw and end the process.
inline std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> parse_json(std::string_view text, int max_depth = kMaxJsonDepth);

Result<SandboxSpec> spec_from_json(const Json& body);
Json to_json(const SandboxSpec& spec);

Json to_json(const Sandbox& sandbox);
Result<Sandbox> sandbox_from_json(const Json& body);

Result<ExecRequest> exec_request_from_json(const Json& body);
Json to_json(const ExecRequest& request);

Json to_json(const ExecResult& result);
Result<ExecResult> exec_result_from_json(const Json& body);

// {"type":"stdout","data":"..."} and the like; one line of an NDJSON exec stream.
Json to_json(const ExecEvent& event);
Result<ExecEvent> exec_event_from_json(const Json& body);

// {"error": {"code": "...", "message": "..."}}
Json to_json(const Error& error);
// Reads an error body; falls back to `fallback` when the body is not one.
Error error_from_body(std::string_view body, Errc fallback);

// Validators shared by server and client.
Result<void> validate_dns_label(std::string_view what, std::string_view value);
Result<void> validate_label_key(std::string_view key);
Result<void> validate_label_value(std::string_view key, std::string_view value);
// Kubernetes-style quantities: "512Mi" -> bytes, "500m" -> millicores.
Result<std::int64_t> parse_byte_quantity(std::string_view text);
Result<std::int64_t> parse_cpu_millis(std::string_view text);

// Bytes that are not valid UTF-8 travel base64-encoded (docs/api.md).
bool is_valid_utf8(std::string_view bytes);
// The length of the longest prefix that does not end inside a multi-byte UTF-8 sequence, so a
// stream cut into chunks keeps its characters whole.
std::size_t utf8_boundary(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);
// Compares secrets (tokens, agent secrets) in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hive::sandbox
