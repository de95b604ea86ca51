#include "runtime/local/egress.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/unique_fd.hpp"

extern char** environ;

namespace hive::server::local {
namespace {

constexpr const char* kSlirp = "/usr/bin/slirp4netns";
constexpr int kSlirpReadyTimeoutMs = 5000;

}  // namespace

Result<pid_t> start_egress(pid_t sandbox_pid, const std::vector<std::string>& cgroup_dirs,
                           const std::string& log_path) {
  if (access(kSlirp, X_OK) != 0) {
    return make_error(Errc::unavailable,
                      "network 'egress' needs slirp4netns (apt-get install slirp4netns)");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return sys_error("pipe2", "", errno);
  UniqueFd ready_read(fds[0]), ready_write(fds[1]);
  // The ready pipe's write end becomes fd 3 in slirp4netns.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready_write.get(), 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  // Nothing else of the server's, CLOEXEC or not: a listening socket inherited here would
  // hold the server's port for as long as the sandbox lives.
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // not in the server's process group
  std::string pid = std::to_string(sandbox_pid);
  std::vector<std::string> args{
      kSlirp, "--configure", "--mtu=65520", "--disable-host-loopback", "--ready-fd=3", pid, "tap0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t slirp = -1;
  int rc = posix_spawn(&slirp, kSlirp, &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ready_write.reset();
  if (rc != 0) return sys_error("spawn", kSlirp, rc);

  auto give_up = [&](Error error) -> Result<pid_t> {
    kill(slirp, SIGKILL);
    waitpid(slirp, nullptr, 0);
    return error;
  };
  for (const auto& dir : cgroup_dirs) {
    std::ofstream procs(dir + "/cgroup.procs");
    procs << slirp;
    procs.flush();
    if (!procs) return give_up(sys_error("join cgroup", dir, errno));
  }
  pollfd pfd{ready_read.get(), POLLIN, 0};
  char byte = 0;
  if (poll(&pfd, 1, kSlirpReadyTimeoutMs) != 1 || read(ready_read.get(), &byte, 1) != 1) {
    return give_up(make_error(Errc::internal, "slirp4netns did not bring up tap0"));
  }
  return slirp;
}

}  // namespace hive::server::local
