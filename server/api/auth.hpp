// Admin-token auth (DESIGN.md §8). A local server creates its token on first start and keeps
// it in STATE_DIR/token, mode 0600; clients send "Authorization: Bearer <token>".
#pragma once

#include <string>
#include <string_view>

#include "hive/error.hpp"

namespace hive::server {

// Reads STATE_DIR/token, or creates it (0600) with a fresh secret.
Result<std::string> load_or_create_token(const std::string& state_dir);
// A token given to the server (a mounted Kubernetes Secret, shared by its replicas).
Result<std::string> read_token_file(const std::string& path);

// Checks an Authorization header value against the admin token.
Result<void> check_bearer(std::string_view authorization, const std::string& token);

}  // namespace hive::server
