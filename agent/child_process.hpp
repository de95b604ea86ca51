// One command the agent runs, from its pipes (or terminal) to its reaping: exec, attach and the
// stdio MCP servers all start theirs through this, so a command that cannot start reads the
// same everywhere — the failing step, its path and errno, and the shell's exit code for it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>

#include "children.hpp"
#include "common/unique_fd.hpp"
#include "hive/error.hpp"
#include "spawn_command.hpp"

namespace hive::agent {

// A pty's window, for a command started on a terminal.
struct Terminal {
  int cols = 80, rows = 24;
};

// The agent's ends of a command's stdio. On a terminal, input and output are the master (two
// descriptors of it, one to write and one to read) and errors is empty.
struct ChildStdio {
  UniqueFd input, output, errors;
};

// Sets a pty's window size (clamped to 1..1000).
void set_window(int master_fd, int cols, int rows);

// The error for a failed spawn: "chdir '/nope': No such file or directory", exit_code 127 when
// the command was not found and 126 when it could not be run, code not_found / invalid_argument
// (internal for the agent's own pipes and pty).
Error spawn_error(const SpawnFailure& failure);

class ChildProcess {
 public:
  using OnExit = Children::OnExit;

  explicit ChildProcess(Children& children);
  // A command still running when its owner lets go is killed, with its whole session.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts spec (its stdio fds are filled in here) on new pipes, or on a new pty when terminal
  // is given; once at most. on_exit gets the wait status when it is reaped, on the io thread,
  // never before spawn() returns and never after this object is gone.
  Result<ChildStdio> spawn(CommandSpec spec, std::optional<Terminal> terminal, OnExit on_exit);

  pid_t pid() const { return state_->pid; }
  bool running() const { return state_->pid > 0 && !state_->exited; }
  // To its process group (else to it alone); false once it has exited.
  bool signal(int sig);
  // SIGKILL to every process of its session, the jobs a shell put in groups of their own too.
  void kill_session();

 private:
  struct State {
    pid_t pid = -1;
    bool exited = false;
    bool owner_gone = false;
  };

  Children& children_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace hive::agent
