// Identifiers, secrets and timestamps the server hands out.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace hive {

// "sb-" + 8 characters of [a-z0-9]: a DNS-1123 label, so it can be a hostname and a Pod name.
std::string new_sandbox_id();
// 32 random bytes as 64 hex characters, from getrandom(2).
std::string new_secret();
// HMAC-SHA256 of `message` under `key`, as lowercase hex.
std::string hmac_hex(const std::string& key, const std::string& message);
// RFC 3339 in UTC with millisecond precision: "2026-11-22T03:04:05.678Z".
std::string to_rfc3339(std::chrono::system_clock::time_point when);
std::string now_rfc3339();
// The inverse of to_rfc3339; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> from_rfc3339(const std::string& text);

}  // namespace hive
