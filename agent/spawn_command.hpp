// Starting one command for the agent: a vfork+exec like glibc's posix_spawn, plus the one
// thing posix_spawn cannot do — set the command's OOM score. Commands run with
// oom_score_adj 500 and the agent with -1000 where the host allows it (0 otherwise), so at a
// sandbox's memory limit the kernel's OOM killer takes a runaway command, never the agent.
#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

namespace hive::agent {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in env's PATH when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  std::vector<int> cgroup_fds;   // cgroup.procs files the command moves itself into
  bool controlling_tty = false;  // stdin is a pty slave: make it the session's terminal
};

// A pipe whose ends close with it unless released (to a stream descriptor, say).
struct Pipe {
  int read = -1, write = -1;
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
  bool open() { return pipe2(&read, O_CLOEXEC) == 0; }
  int release_read() { return std::exchange(read, -1); }
  int release_write() { return std::exchange(write, -1); }
};

// Returns 0 and the pid, or the errno of the step that failed (ENOENT: no such command).
int spawn_command(const CommandSpec& spec, pid_t& pid);

// Signals every process of the session `sid` (a command is its session's leader): its process
// group, and the other groups an interactive shell puts its jobs in.
void signal_session(pid_t sid, int sig);

// Every command started from now on gets RLIMIT_NOFILE `limit` (soft and hard; 0 leaves the
// agent's own): the agent keeps a larger one for its connections and pipes.
void set_command_nofile(int limit);

// Makes the calling process the last thing the OOM killer would pick.
void protect_from_oom_killer();

}  // namespace hive::agent
