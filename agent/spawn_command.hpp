// Starting one command for the agent: a vfork+exec like glibc's posix_spawn, plus the one
// thing posix_spawn cannot do — set the command's OOM score. Commands run with
// oom_score_adj 500 and the agent with -1000 where the host allows it (0 otherwise), so at a
// sandbox's memory limit the kernel's OOM killer takes a runaway command, never the agent.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
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

// The step of a spawn that failed ("chdir", "exec", ...), what it was about (a path, the
// command's name; may be empty) and its errno.
struct SpawnFailure {
  const char* step = "";
  std::string subject;
  int err = 0;
};

// Starts the command and sets pid; or says which step failed (exec, ENOENT: no such command).
std::optional<SpawnFailure> spawn_command(const CommandSpec& spec, pid_t& pid);

// Signals every process of the session `sid` (a command is its session's leader): its process
// group, and the other groups an interactive shell puts its jobs in.
void signal_session(pid_t sid, int sig);

// Every command started from now on gets RLIMIT_NOFILE `limit` (soft and hard; 0 leaves the
// agent's own): the agent keeps a larger one for its connections and pipes.
void set_command_nofile(int limit);

// The identity every command runs as (an image's USER); root until set.
struct CommandUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
};
void set_command_user(CommandUser user);
const CommandUser& command_user();

// An image's USER ("1000", "1000:1000", "app", "app:staff") as /etc/passwd and /etc/group of
// the sandbox's root say (read after pivot_root); an unknown name is an error.
std::optional<CommandUser> resolve_user(const std::string& spec, std::string& error);

// Makes the calling process the last thing the OOM killer would pick.
void protect_from_oom_killer();

}  // namespace hive::agent
