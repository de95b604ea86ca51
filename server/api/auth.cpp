#include "api/auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "hive/sandbox/codec.hpp"
#include "service/ids.hpp"

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

Result<void> check_bearer(std::string_view authorization, const std::string& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.empty()) {
    return make_error(Errc::unauthorized,
                      "missing 'Authorization: Bearer <token>' (hivectl: --token or HIVE_TOKEN)");
  }
  if (authorization.substr(0, kScheme.size()) != kScheme ||
      !sandbox::constant_time_equal(authorization.substr(kScheme.size()), token)) {
    return make_error(Errc::unauthorized, "invalid token");
  }
  return {};
}

}  // namespace hive::server
