#include "api/auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/ids.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::server {

Result<std::string> load_or_create_token(const std::string& state_dir) {
  const std::string path = state_dir + "/token";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string token = new_secret();
    std::string line = token + "\n";
    bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    close(fd);
    if (!written) return sys_error("write", path, errno);
    return token;
  }
  if (errno != EEXIST) return sys_error("create", path, errno);
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return make_error(Errc::forbidden, "'" + path + "' is readable by others; chmod 600 it");
  }
  std::ifstream in(path);
  std::string token;
  in >> token;
  if (token.size() < 16) return make_error(Errc::internal, "'" + path + "' holds no usable token");
  return token;
}

Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  in >> token;
  if (!in && token.empty())
    return make_error(Errc::invalid_argument, "cannot read --token-file " + path);
  if (token.size() < 16) {
    return make_error(Errc::invalid_argument,
                      "--token-file " + path + ": a token has 16 characters or more");
  }
  return token;
}

Result<std::string> admin_token(const std::string& token_file, const std::string& state_dir) {
  if (!token_file.empty()) return read_token_file(token_file);
  if (const char* from_env = std::getenv("HIVE_ADMIN_TOKEN"); from_env != nullptr) {
    std::string token(from_env);
    unsetenv("HIVE_ADMIN_TOKEN");
    if (token.size() < 16) {
      return make_error(Errc::invalid_argument,
                        "HIVE_ADMIN_TOKEN: a token has 16 characters or more");
    }
    return token;
  }
  return load_or_create_token(state_dir);
}

namespace {

constexpr std::string_view kSandboxPrefix = "hsb.";

Error missing_credentials() {
  return make_error(Errc::unauthorized,
                    "missing 'Authorization: Bearer <token>' (hivectl: --token or HIVE_TOKEN)");
}

}  // namespace

Authenticator::Authenticator(std::string admin_token)
    : admin_token_(std::move(admin_token)),
      sandbox_key_(hmac_hex(admin_token_, "hive-sandbox-token-key")) {}

std::string Authenticator::sandbox_token(const std::string& id, std::int64_t expires_unix) const {
  const std::string claims = id + "." + std::to_string(expires_unix);
  return std::string(kSandboxPrefix) + claims + "." + hmac_hex(sandbox_key_, claims);
}

Result<Grant> Authenticator::check_token(std::string_view token) const {
  if (token.substr(0, kSandboxPrefix.size()) != kSandboxPrefix) {
    if (!sandbox::constant_time_equal(token, admin_token_)) {
      return make_error(Errc::unauthorized, "invalid token");
    }
    return Grant{true, ""};
  }
  // hsb.<id>.<expiry>.<mac>: the id holds no '.', so the fields split unambiguously.
  auto claims = token.substr(kSandboxPrefix.size());
  auto last_dot = claims.rfind('.');
  auto first_dot = claims.find('.');
  if (last_dot == std::string_view::npos || first_dot == last_dot) {
    return make_error(Errc::unauthorized, "invalid token");
  }
  auto mac = claims.substr(last_dot + 1);
  claims = claims.substr(0, last_dot);
  if (!sandbox::constant_time_equal(mac, hmac_hex(sandbox_key_, std::string(claims)))) {
    return make_error(Errc::unauthorized, "invalid token");
  }
  std::string id(claims.substr(0, first_dot));
  auto expiry = claims.substr(first_dot + 1);
  std::int64_t expires = 0;
  std::from_chars(expiry.data(), expiry.data() + expiry.size(), expires);  // ours: MAC checked
  if (expires != 0 && expires < std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()) {
    return make_error(Errc::unauthorized,
                      "the token of sandbox " + id + " has expired (keepalive renews it)");
  }
  return Grant{false, std::move(id)};
}

Result<Grant> Authenticator::check(std::string_view authorization, Schemes schemes) const {
  if (authorization.empty()) return missing_credentials();
  constexpr std::string_view kBearer = "Bearer ", kBasic = "Basic ";
  if (authorization.substr(0, kBearer.size()) == kBearer) {
    return check_token(authorization.substr(kBearer.size()));
  }
  if (authorization.substr(0, kBasic.size()) == kBasic && schemes == Schemes::BearerOrBasic) {
    auto decoded = sandbox::base64_decode(authorization.substr(kBasic.size()));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return make_error(Errc::unauthorized, "malformed Basic credentials");
    return check_token(std::string_view(*decoded).substr(colon + 1));
  }
  return make_error(Errc::unauthorized, "invalid token");
}

}  // namespace hive::server
