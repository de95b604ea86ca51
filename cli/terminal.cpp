#include "terminal.hpp"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <initializer_list>

namespace hive::cli {
namespace {

// What a signal handler needs to put the terminal back (tcsetattr is async-signal-safe).
int saved_fd = -1;
struct termios saved {};

void restore_and_reraise(int sig) {
  if (saved_fd >= 0) tcsetattr(saved_fd, TCSANOW, &saved);
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!isatty(fd) || tcgetattr(fd, &saved) != 0) return;
  struct termios raw = saved;
  cfmakeraw(&raw);
  saved_fd = fd;
  for (int sig : {SIGTERM, SIGHUP, SIGQUIT}) signal(sig, restore_and_reraise);
  active_ = tcsetattr(fd, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  tcsetattr(fd_, TCSANOW, &saved);
  for (int sig : {SIGTERM, SIGHUP, SIGQUIT}) signal(sig, SIG_DFL);
  saved_fd = -1;
}

}  // namespace hive::cli
