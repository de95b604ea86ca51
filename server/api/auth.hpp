// Auth (docs/security.md). A local server creates its admin token on first start and keeps it in
// STATE_DIR/token, mode 0600; clients send "Authorization: Bearer <token>". Spawn hands out a
// per-sandbox token, "hsb.<id>.<expiry>.<mac>" with mac = HMAC-SHA256 over id and expiry under
// a key derived from the admin token (so every replica sharing the admin token checks it, and
// changing the admin token revokes them all); it opens that one sandbox and nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hive/error.hpp"

namespace hive::server {

// Reads STATE_DIR/token, or creates it (0600) with a fresh secret.
Result<std::string> load_or_create_token(const std::string& state_dir);
// A token given to the server (a mounted Kubernetes Secret, shared by its replicas).
Result<std::string> read_token_file(const std::string& path);
// The admin token: --token-file, else $HIVE_ADMIN_TOKEN (taken out of the environment so no
// child inherits it), else STATE_DIR/token.
Result<std::string> admin_token(const std::string& token_file, const std::string& state_dir);

// Whom a request's token speaks for: the admin, or one sandbox.
struct Grant {
  bool admin = false;
  std::string sandbox_id;  // when not admin
};

enum class Schemes { BearerOnly, BearerOrBasic };

class Authenticator {
 public:
  explicit Authenticator(std::string admin_token);
  // Checks an Authorization header. Basic (user anything, the token as password) is what HTTP
  // clients send for a URL with userinfo, "http://hive:TOKEN@host/": the way in for clients
  // written for the seeds, which send no credentials of their own.
  Result<Grant> check(std::string_view authorization, Schemes schemes = Schemes::BearerOnly) const;
  // A token for one sandbox, valid until `expires_unix` (0: as long as the sandbox lives).
  std::string sandbox_token(const std::string& id, std::int64_t expires_unix) const;

 private:
  Result<Grant> check_token(std::string_view token) const;
  std::string admin_token_;
  std::string sandbox_key_;
};

}  // namespace hive::server
