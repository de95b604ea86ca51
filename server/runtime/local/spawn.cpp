#include "runtime/local/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hive::server::local {
namespace {

// Async-signal-safe: formats "error: <step>: errno <n>\n" by hand and exits.
[[noreturn]] void child_fail(int ready_fd, const char* step) {
  int err = errno;
  char line[160] = "error: ";
  std::size_t len = std::strlen(line);
  for (const char* p = step; *p != '\0' && len < 120; ++p) line[len++] = *p;
  const char* mid = ": errno ";
  for (const char* p = mid; *p != '\0'; ++p) line[len++] = *p;
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + err % 10);
    err /= 10;
  } while (err > 0 && n < 11);
  while (n > 0) line[len++] = digits[--n];
  line[len++] = '\n';
  ssize_t ignored = write(ready_fd, line, len);
  (void)ignored;
  _exit(127);
}

// Runs in the child between clone and execve: syscalls only, no allocation, no locks.
[[noreturn]] void child_main(const AgentLaunch& launch, char* const* argv, char* const* envp) {
  for (int fd : launch.cgroup_procs_fds) {
    if (write(fd, "0", 1) != 1) child_fail(launch.ready_fd, "join cgroup");
  }
  if (setsid() < 0) child_fail(launch.ready_fd, "setsid");
  // Park the three fds above the targets first so no dup2 overwrites another's source.
  int listen = fcntl(launch.listen_fd, F_DUPFD_CLOEXEC, 10);
  int ready = fcntl(launch.ready_fd, F_DUPFD_CLOEXEC, 10);
  int plan = fcntl(launch.plan_fd, F_DUPFD_CLOEXEC, 10);
  if (listen < 0 || ready < 0 || plan < 0) child_fail(launch.ready_fd, "dup");
  // The server's stdio (its log file, or the admin's terminal) must not reach the sandbox:
  // through /proc/1/fd a tenant could read and write it via the agent.
  if (dup2(launch.null_fd, 0) < 0 || dup2(launch.null_fd, 1) < 0 || dup2(launch.log_fd, 2) < 0) {
    child_fail(launch.ready_fd, "dup2 stdio");
  }
  int groups[kMaxCgroupHierarchies];
  const std::size_t group_count = launch.command_cgroup_fds.size();
  for (std::size_t i = 0; i < group_count; ++i) {
    groups[i] = fcntl(launch.command_cgroup_fds[i], F_DUPFD_CLOEXEC, 10);
    if (groups[i] < 0) child_fail(launch.ready_fd, "dup");
  }
  if (dup2(listen, kAgentListenFd) < 0 || dup2(ready, kAgentReadyFd) < 0 ||
      dup2(plan, kAgentPlanFd) < 0) {
    child_fail(launch.ready_fd, "dup2");
  }
  for (std::size_t i = 0; i < group_count; ++i) {
    if (dup2(groups[i], kAgentCommandCgroupFd + static_cast<int>(i)) < 0) {
      child_fail(kAgentReadyFd, "dup2");
    }
  }
  // Nothing else of the server's may reach the sandbox, CLOEXEC or not.
  syscall(SYS_close_range, kAgentCommandCgroupFd + group_count, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(launch.agent_path.c_str(), argv, envp);
  child_fail(kAgentReadyFd, "exec hive-agent");
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (auto& item : items) out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<pid_t> launch_agent(const AgentLaunch& launch) {
  auto argv_strings = launch.argv;
  auto env_strings = launch.env;
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  // A raw clone without CLONE_VM behaves like fork but takes namespace flags; glibc's fork
  // handlers do not run, which is fine because the child only makes syscalls.
  long pid = syscall(SYS_clone, static_cast<unsigned long>(launch.namespaces) | SIGCHLD, nullptr,
                     nullptr, nullptr, 0);
  if (pid < 0) return sys_error("clone", "sandbox namespaces", errno);
  if (pid == 0) child_main(launch, argv.data(), envp.data());
  return static_cast<pid_t>(pid);
}

}  // namespace hive::server::local
