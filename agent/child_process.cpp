#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hive::agent {
namespace {

// The child's ends, which close once it has them (or has failed to start).
struct ChildEnds {
  UniqueFd in, out, err;  // on a terminal, `in` is the slave and the others stay empty
};

struct OpenedStdio {
  ChildStdio parent;
  ChildEnds child;
};

Result<void> open_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return spawn_error({"pipe", "", errno});
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return {};
}

Result<OpenedStdio> open_pipes() {
  OpenedStdio s;
  if (auto r = open_pipe(s.child.in, s.parent.input); !r) return r.error();
  if (auto r = open_pipe(s.parent.output, s.child.out); !r) return r.error();
  if (auto r = open_pipe(s.parent.errors, s.child.err); !r) return r.error();
  return s;
}

Result<OpenedStdio> open_terminal(const Terminal& window) {
  OpenedStdio s;
  s.parent.output.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  const int master = s.parent.output.get();
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    return spawn_error({"posix_openpt", "", errno});
  }
  char name[128];
  if (int err = ptsname_r(master, name, sizeof name); err != 0) {
    return spawn_error({"ptsname", "", err});
  }
  s.child.in.reset(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!s.child.in.valid()) return spawn_error({"open", name, errno});
  set_window(master, window.cols, window.rows);
  // Reading and writing the one terminal through two descriptors, one per direction.
  s.parent.input.reset(fcntl(master, F_DUPFD_CLOEXEC, 3));
  if (!s.parent.input.valid()) return spawn_error({"dup", "", errno});
  return s;
}

}  // namespace

void set_window(int master_fd, int cols, int rows) {
  struct winsize size {};
  size.ws_col = static_cast<unsigned short>(std::clamp(cols, 1, 1000));
  size.ws_row = static_cast<unsigned short>(std::clamp(rows, 1, 1000));
  if (ioctl(master_fd, TIOCSWINSZ, &size) != 0) {
    std::fprintf(stderr, "hive-agent: ioctl TIOCSWINSZ: %s\n", std::strerror(errno));
  }
}

Error spawn_error(const SpawnFailure& failure) {
  Error error = sys_error(failure.step, failure.subject, failure.err);
  const std::string step = failure.step;
  const bool in_child = step != "pipe" && step != "posix_openpt" && step != "ptsname" &&
                        step != "open" && step != "dup" && step != "vfork";
  const bool not_found = step == "exec" && failure.err == ENOENT;
  error.code = not_found ? Errc::not_found : in_child ? Errc::invalid_argument : Errc::internal;
  error.exit_code = not_found ? 127 : 126;
  return error;
}

ChildProcess::ChildProcess(Children& children) : children_(children) {}

ChildProcess::~ChildProcess() {
  if (running()) kill_session();
  state_->owner_gone = true;  // the reaper still holds the state; nobody is there to tell
}

Result<ChildStdio> ChildProcess::spawn(CommandSpec spec, std::optional<Terminal> terminal,
                                       OnExit on_exit) {
  auto stdio = terminal ? open_terminal(*terminal) : open_pipes();
  if (!stdio) return stdio.error();
  const ChildEnds& ends = stdio->child;
  spec.stdin_fd = ends.in.get();
  spec.stdout_fd = terminal ? ends.in.get() : ends.out.get();
  spec.stderr_fd = terminal ? ends.in.get() : ends.err.get();
  spec.controlling_tty = terminal.has_value();
  pid_t pid = -1;
  if (auto failed = spawn_command(spec, pid)) return spawn_error(*failed);
  state_->pid = pid;
  // The reaper's entry holds on_exit, not the state: an owner whose on_exit keeps it alive (an
  // exec job) would otherwise own itself through the state, and outlive an agent shut down with
  // the command still running.
  children_.watch(pid, [state = state_, tell = std::move(on_exit)](int status) {
    state->exited = true;
    if (!state->owner_gone && tell) tell(status);
  });
  return std::move(stdio->parent);
}

bool ChildProcess::signal(int sig) {
  if (!running()) return false;
  return kill(-state_->pid, sig) == 0 || kill(state_->pid, sig) == 0;
}

void ChildProcess::kill_session() {
  if (running()) signal_session(state_->pid, SIGKILL);
}

}  // namespace hive::agent
