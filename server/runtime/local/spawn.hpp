// Starting a sandbox's first process: clone into new namespaces and exec hive-agent, with the
// fds it needs at fixed numbers. The child of a multi-threaded server may only make
// async-signal-safe calls, so everything (argv, envp, fds, cgroup files) is prepared here in
// the parent; a failed step is reported as "error: <step>: errno N" on the ready pipe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hive/error.hpp"

namespace hive::server::local {

// The agent finds its fds here (see agent/main.cpp).
inline constexpr int kAgentListenFd = 3;
inline constexpr int kAgentReadyFd = 4;
inline constexpr int kAgentPlanFd = 5;
// Then the "work" groups' cgroup.procs, one per hierarchy, that the agent moves commands into.
inline constexpr int kAgentCommandCgroupFd = 6;
inline constexpr std::size_t kMaxCgroupHierarchies = 4;

struct AgentLaunch {
  std::string agent_path;
  std::vector<std::string> argv;        // argv[0] included
  std::vector<std::string> env;         // "K=V"
  int listen_fd = -1;                   // becomes kAgentListenFd
  int ready_fd = -1;                    // the pipe's write end; becomes kAgentReadyFd
  int plan_fd = -1;                     // the pipe's read end; becomes kAgentPlanFd
  int null_fd = -1;                     // /dev/null: becomes the agent's stdin and stdout
  int log_fd = -1;                      // the agent's stderr: a host file no sandbox can name
  std::vector<int> cgroup_procs_fds;    // open cgroup.procs files the child joins itself to
  std::vector<int> command_cgroup_fds;  // become kAgentCommandCgroupFd, +1, ... (at most 4)
  int namespaces = 0;                   // CLONE_NEW* flags
};

// Returns the agent's pid (in the host's pid namespace).
Result<pid_t> launch_agent(const AgentLaunch& launch);

}  // namespace hive::server::local
