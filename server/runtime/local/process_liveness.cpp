#include "runtime/local/process_liveness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.hpp"

namespace hive::server::local {

bool parse_proc_stat(const std::string& text, std::string& state, std::string& start_time) {
  // The command name (field 2) may hold spaces and parentheses; count from the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::size_t at = close + 1;
  for (int field = 3; field <= 22; ++field) {
    at = text.find_first_not_of(' ', at);
    if (at == std::string::npos) return false;
    auto end = text.find_first_of(" \n", at);
    if (end == std::string::npos) end = text.size();
    if (field == 3) state = text.substr(at, end - at);
    if (field == 22) start_time = text.substr(at, end - at);
    at = end;
  }
  return true;
}

Liveness process_liveness(int pid, const std::string& start_time) {
  if (pid <= 0) return Liveness::gone;
  // Needs no descriptor: a pid nobody holds is the one certain answer at any fd count.
  if (kill(pid, 0) != 0 && errno == ESRCH) return Liveness::gone;
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT || errno == ESRCH ? Liveness::gone : Liveness::unknown;
  std::string text;
  char buffer[1024];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ESRCH ? Liveness::gone : Liveness::unknown;
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  std::string state, started;
  if (!parse_proc_stat(text, state, started)) return Liveness::unknown;
  if (state == "Z" || state == "X") return Liveness::gone;
  return started == start_time ? Liveness::alive : Liveness::gone;
}

}  // namespace hive::server::local
