#include "spawn_command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "seccomp.hpp"

namespace hive::agent {
namespace {

// Raising a score needs no privilege, lowering one does (and some hosts refuse even root):
// so commands are made more killable rather than relying on the agent being less.
constexpr char kCommandOomScoreAdj[] = "500";

std::string path_of(const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

// Resolves a bare command name against PATH, as execvp would, but here in the parent where
// allocating is allowed. Like execvp, a file found but not executable is kept when nothing
// executable is (its execve then fails with EACCES: the shell's 126, not 127); "" when there
// is no such file at all.
std::string resolve(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;
  std::string not_executable;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      if (not_executable.empty()) not_executable = candidate;
    }
    start = colon + 1;
  }
  return not_executable;
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& item : items) out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

int g_command_nofile = 0;

}  // namespace

void set_command_nofile(int limit) { g_command_nofile = limit; }

CommandUser g_command_user;

void set_command_user(CommandUser user) { g_command_user = std::move(user); }
const CommandUser& command_user() { return g_command_user; }

namespace {

// The colon-separated fields of each line of an /etc/passwd-style file.
std::vector<std::vector<std::string>> colon_file(const char* path) {
  std::vector<std::vector<std::string>> lines;
  std::FILE* file = std::fopen(path, "re");
  if (file == nullptr) return lines;
  char* line = nullptr;
  std::size_t size = 0;
  while (getline(&line, &size, file) > 0) {
    std::vector<std::string> fields;
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::size_t start = 0;
    for (std::size_t colon; (colon = text.find(':', start)) != std::string::npos;
         start = colon + 1) {
      fields.push_back(text.substr(start, colon - start));
    }
    fields.push_back(text.substr(start));
    lines.push_back(std::move(fields));
  }
  std::free(line);
  std::fclose(file);
  return lines;
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.size() < 10 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<CommandUser> resolve_user(const std::string& spec, std::string& error) {
  CommandUser user;
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto passwd = colon_file("/etc/passwd");
  std::string user_name;
  bool found = false;
  if (all_digits(name)) {
    user.uid = static_cast<uid_t>(std::stoul(name));
    for (const auto& f : passwd) {
      if (f.size() >= 4 && f[2] == name && all_digits(f[3])) {
        user.gid = static_cast<gid_t>(std::stoul(f[3]));
        user_name = f[0];
        break;
      }
    }
    if (user_name.empty()) user.gid = 0;  // as Docker: a uid without an entry gets group 0
    found = true;
  } else {
    for (const auto& f : passwd) {
      if (f.size() >= 4 && f[0] == name && all_digits(f[2]) && all_digits(f[3])) {
        user.uid = static_cast<uid_t>(std::stoul(f[2]));
        user.gid = static_cast<gid_t>(std::stoul(f[3]));
        user_name = name;
        found = true;
        break;
      }
    }
  }
  if (!found) {
    error = "user '" + name + "' of the image is not in its /etc/passwd";
    return std::nullopt;
  }
  auto groups = colon_file("/etc/group");
  if (!group.empty()) {
    bool group_found = all_digits(group);
    if (group_found) user.gid = static_cast<gid_t>(std::stoul(group));
    for (const auto& f : groups) {
      if (!group_found && f.size() >= 3 && f[0] == group && all_digits(f[2])) {
        user.gid = static_cast<gid_t>(std::stoul(f[2]));
        group_found = true;
      }
    }
    if (!group_found) {
      error = "group '" + group + "' of the image is not in its /etc/group";
      return std::nullopt;
    }
  }
  user.groups.push_back(user.gid);
  for (const auto& f : groups) {
    if (user_name.empty() || f.size() < 4 || !all_digits(f[2])) continue;
    std::string members = "," + f[3] + ",";
    if (members.find("," + user_name + ",") != std::string::npos) {
      user.groups.push_back(static_cast<gid_t>(std::stoul(f[2])));
    }
  }
  return user;
}

void protect_from_oom_killer() {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  // Some hosts refuse even root a negative score: the commands' 500 still protects us.
  if (fd < 0 || write(fd, "-1000", 5) != 5) {
    std::fprintf(stderr, "hive-agent: oom_score_adj -1000: %s (the agent keeps 0)\n",
                 std::strerror(errno));
  }
  if (fd >= 0) close(fd);
}

void signal_session(pid_t sid, int sig) {
  if (sid <= 1) return;
  kill(-sid, sig);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  while (auto* entry = readdir(proc)) {
    const char* name = entry->d_name;
    if (*name < '1' || *name > '9') continue;
    char path[32 + sizeof entry->d_name];
    std::snprintf(path, sizeof path, "/proc/%s/stat", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char stat[512];
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0) continue;
    stat[n] = '\0';
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces, so start after ')'.
    const char* after = std::strrchr(stat, ')');
    int ppid = 0, pgrp = 0, session = 0;
    char state = 0;
    if (after != nullptr &&
        std::sscanf(after + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) == 4 &&
        session == sid) {
      kill(std::atoi(name), sig);
    }
  }
  closedir(proc);
}

std::optional<SpawnFailure> spawn_command(const CommandSpec& spec, pid_t& pid) {
  std::string path = resolve(spec.argv.front(), path_of(spec.env));
  if (path.empty()) return SpawnFailure{"exec", spec.argv.front(), ENOENT};
  auto argv_strings = spec.argv;
  auto env_strings = spec.env;
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  const auto& filter = command_filter();
  const bool confined = agent_confined();
  const CommandUser& identity = g_command_user;
  const rlimit nofile{static_cast<rlim_t>(g_command_nofile), static_cast<rlim_t>(g_command_nofile)};

  // No signal handler of ours may run in the child while it shares our memory.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  // vfork: the child writes these into our memory. A string literal, so no allocation.
  const char* volatile step_failed = nullptr;
  volatile int child_errno = 0;
  pid = vfork();
  if (pid == 0) {
    // Only system calls from here to execve.
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &defaults, nullptr);
    if (setsid() < 0) {
      step_failed = "setsid";
    } else if (dup2(spec.stdin_fd, 0) < 0 || dup2(spec.stdout_fd, 1) < 0 ||
               dup2(spec.stderr_fd, 2) < 0) {
      step_failed = "dup2";
    } else if (spec.controlling_tty && ioctl(0, TIOCSCTTY, 0) != 0) {
      step_failed = "ioctl TIOCSCTTY";
    } else if (chdir(spec.cwd.c_str()) != 0) {
      step_failed = "chdir";
    }
    for (int fd : spec.cgroup_fds) {
      // Out of the agent's group, into the limited one (see runtime/local/cgroups.hpp).
      if (step_failed == nullptr && write(fd, "0", 1) != 1) step_failed = "cgroup.procs";
    }
    if (step_failed == nullptr) {
      int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        // Not fatal, and nothing here may log: the command just keeps the agent's score.
        ssize_t ignored = write(fd, kCommandOomScoreAdj, sizeof kCommandOomScoreAdj - 1);
        (void)ignored;
        close(fd);
      }
      syscall(SYS_close_range, 3, ~0U, 0);
      if (nofile.rlim_cur > 0) setrlimit(RLIMIT_NOFILE, &nofile);
      // The image's USER, last: what comes before needs root (cgroup moves, rlimits).
      if (identity.uid != 0 || identity.gid != 0) {
        if (setgroups(identity.groups.size(), identity.groups.data()) != 0 ||
            setgid(identity.gid) != 0 || setuid(identity.uid) != 0) {
          step_failed = "setuid";
          child_errno = errno;
          _exit(127);
        }
      }
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (int err = confined ? 0 : confine_command(filter); err != 0) {
        step_failed = "seccomp";
        child_errno = err;
        _exit(127);
      }
      execve(path.c_str(), argv.data(), envp.data());
      step_failed = "exec";
    }
    child_errno = errno;
    _exit(127);
  }
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return SpawnFailure{"vfork", "", vfork_errno};
  if (step_failed == nullptr) return std::nullopt;
  // The child has exited; the reaper will collect it, nobody waits for it.
  pid = -1;
  std::string step = step_failed;
  std::string subject = step == "chdir" ? spec.cwd : step == "exec" ? spec.argv.front() : "";
  return SpawnFailure{step_failed, subject, child_errno};
}

}  // namespace hive::agent
