#include "sandbox_init.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <linux/openat2.h>

#include "common/unique_fd.hpp"
#include "seccomp.hpp"

namespace hive::agent {
namespace {

namespace fs = std::filesystem;
using hive::MountOp;

Result<void> do_mount(const char* source, const std::string& target, const char* type,
                      unsigned long flags, const std::string& data) {
  if (mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return sys_error(std::string("mount ") + (type ? type : "bind"), target, errno);
  }
  return {};
}

// Every path of the plan is resolved under the new root as if it were "/" (openat2's
// RESOLVE_IN_ROOT) and mounted through /proc/self/fd: an image's symlink ("/etc -> /root")
// cannot point a mount, a mkdir or a new file at the host's own files.
int open_in_root(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string relative = path.size() > 1 ? path.substr(1) : ".";
  return static_cast<int>(syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
}

std::string fd_path(const UniqueFd& fd) { return "/proc/self/fd/" + std::to_string(fd.get()); }

// The directory `path` inside the root, made with its missing parents; an O_PATH descriptor.
// A dangling symlink on the way (an image's "/etc -> /run/etc") is followed, inside the root,
// by making what it points to, as mkdir -p would through it.
Result<UniqueFd> make_dirs_in_root(int root_fd, const std::string& path, int depth = 0) {
  if (depth > 16) return make_error(Errc::invalid_argument, "too many symlinks under " + path);
  UniqueFd dir(open_in_root(root_fd, "/", O_PATH | O_DIRECTORY));
  std::string prefix;
  std::size_t start = 1;
  while (dir.valid() && start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(start, end - start);
    const std::string rest = end < path.size() ? path.substr(end) : "";
    start = end + 1;
    if (name.empty()) continue;
    const std::string parent = prefix;
    prefix += "/" + name;
    UniqueFd next(open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY));
    if (!next.valid() && errno == ENOENT) {
      char link[4096];
      ssize_t n = readlinkat(dir.get(), name.c_str(), link, sizeof link - 1);
      if (n > 0) {
        std::string target(link, static_cast<std::size_t>(n));
        return make_dirs_in_root(
            root_fd, (target.front() == '/' ? "" : parent + "/") + target + rest, depth + 1);
      }
      if (mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return sys_error("mkdir", prefix, errno);
      }
      next = UniqueFd(open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY));
    }
    if (!next.valid()) return sys_error("open", prefix, errno);
    dir = std::move(next);
  }
  if (!dir.valid()) return sys_error("open", path, errno);
  return dir;
}

// A bind target of the source's kind: a directory, or a file (made when missing; a dangling
// symlink of the image's, like /etc/resolv.conf -> ../run/..., is replaced by one).
Result<UniqueFd> make_bind_target(int root_fd, const std::string& source,
                                  const std::string& target) {
  struct stat st {};
  if (stat(source.c_str(), &st) != 0) return sys_error("stat", source, errno);
  if (S_ISDIR(st.st_mode)) return make_dirs_in_root(root_fd, target);
  UniqueFd existing(open_in_root(root_fd, target, O_PATH));
  if (existing.valid()) return existing;
  const auto slash = target.rfind('/');
  auto parent = make_dirs_in_root(root_fd, target.substr(0, slash));
  if (!parent) return parent.error();
  const std::string name = target.substr(slash + 1);
  struct stat link {};
  if (fstatat(parent->get(), name.c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(link.st_mode)) {
    unlinkat(parent->get(), name.c_str(), 0);
  }
  UniqueFd made(
      openat(parent->get(), name.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!made.valid()) return sys_error("create", target, errno);
  UniqueFd fd(open_in_root(root_fd, target, O_PATH));
  if (!fd.valid()) return sys_error("open", target, errno);
  return fd;
}

// Remounting a bind read-only must keep the flags the source mount already has. The target is
// opened again: the descriptor it was mounted through names what lies beneath the new mount.
Result<void> remount_read_only(int root_fd, const std::string& target) {
  UniqueFd fd(open_in_root(root_fd, target, O_PATH));
  if (!fd.valid()) return sys_error("open", target, errno);
  struct statvfs vfs {};
  if (fstatvfs(fd.get(), &vfs) != 0) return sys_error("statvfs", target, errno);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (vfs.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return do_mount(nullptr, fd_path(fd), nullptr, flags, "");
}

// A fresh filesystem of `type` on the directory `target`, made when missing.
Result<void> mount_fresh(int root_fd, const std::string& target, const char* type,
                         unsigned long flags, const std::string& data) {
  auto dir = make_dirs_in_root(root_fd, target);
  if (!dir) return dir.error();
  return do_mount(type, fd_path(*dir), type, flags, data);
}

Result<void> apply_op(int root_fd, const MountOp& op) {
  const std::string& target = op.target;
  switch (op.kind) {
    case MountOp::Kind::Bind: {
      auto fd = make_bind_target(root_fd, op.source, target);
      if (!fd) return fd.error();
      if (auto r = do_mount(op.source.c_str(), fd_path(*fd), nullptr, MS_BIND | MS_REC, ""); !r)
        return r;
      return op.read_only ? remount_read_only(root_fd, target) : Result<void>{};
    }
    case MountOp::Kind::Overlay: {
      auto dir = make_dirs_in_root(root_fd, target);
      if (!dir) return dir.error();
      return do_mount("overlay", fd_path(*dir), "overlay", MS_RDONLY, op.source);
    }
    case MountOp::Kind::Tmpfs:
      return mount_fresh(root_fd, target, "tmpfs", MS_NOSUID | MS_NODEV, op.data);
    case MountOp::Kind::Proc:
      return mount_fresh(root_fd, target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
    case MountOp::Kind::Devpts:
      return mount_fresh(root_fd, target, "devpts", MS_NOSUID | MS_NOEXEC, op.data);
    case MountOp::Kind::Mkdir: {
      auto dir = make_dirs_in_root(root_fd, target);
      return dir ? Result<void>{} : Result<void>{dir.error()};
    }
    case MountOp::Kind::ReadOnly: {
      UniqueFd fd(open_in_root(root_fd, target, O_PATH | O_NOFOLLOW));
      if (!fd.valid()) return {};  // not on this kernel
      if (auto r = do_mount(fd_path(fd).c_str(), fd_path(fd), nullptr, MS_BIND | MS_REC, ""); !r)
        return r;
      return remount_read_only(root_fd, target);
    }
    case MountOp::Kind::Mask: {
      UniqueFd fd(open_in_root(root_fd, target, O_PATH | O_NOFOLLOW));
      struct stat st {};
      if (!fd.valid() || fstat(fd.get(), &st) != 0) return {};  // not on this kernel
      if (!S_ISDIR(st.st_mode)) return do_mount("/dev/null", fd_path(fd), nullptr, MS_BIND, "");
      return do_mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      "size=0,mode=555");
    }
    case MountOp::Kind::RootOverlay:
      return make_error(Errc::invalid_argument, "mount plan: root-overlay must be the first op");
    case MountOp::Kind::Symlink: {
      const auto slash = target.rfind('/');
      auto parent = make_dirs_in_root(root_fd, target.substr(0, slash));
      if (!parent) return parent.error();
      if (symlinkat(op.source.c_str(), parent->get(), target.substr(slash + 1).c_str()) != 0 &&
          errno != EEXIST) {
        return sys_error("symlink", target, errno);
      }
      return {};
    }
  }
  return {};
}

// The root of an image sandbox: a tmpfs at `root` holding the overlay's upper and work
// directories, and the overlay of the image's layers mounted at root/merged, which becomes
// the sandbox's /. Layer names are relative to op.source (the overlay option string is one
// page: full paths would fit a third as many layers).
Result<std::string> mount_root_overlay(const std::string& root, const MountOp& op) {
  if (auto r = do_mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, op.data); !r)
    return r.error();
  for (const char* sub : {"/upper", "/work", "/merged"}) {
    if (mkdir((root + sub).c_str(), 0755) != 0) return sys_error("mkdir", root + sub, errno);
  }
  std::string lower;
  for (const auto& layer : op.layers) lower += (lower.empty() ? "" : ":") + layer;
  const std::string options =
      "lowerdir=" + lower + ",upperdir=" + root + "/upper,workdir=" + root + "/work";
  if (chdir(op.source.c_str()) != 0) return sys_error("chdir", op.source, errno);
  auto mounted = do_mount("overlay", root + "/merged", "overlay", MS_NODEV, options);
  if (chdir("/") != 0) return sys_error("chdir", "/", errno);
  if (!mounted) return mounted.error();
  return root + "/merged";
}

}  // namespace

Result<void> apply_mount_plan(const hive::MountPlan& plan) {
  // Nothing mounted below may propagate back to the host's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return sys_error("make-rprivate", "/", errno);
  }
  if (auto r = do_mount(plan.root.c_str(), plan.root, nullptr, MS_BIND, ""); !r) return r;
  std::string root = plan.root;
  UniqueFd root_fd;  // opened once the root's own mount is made: every path resolves under it
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    const MountOp& op = plan.ops[i];
    if (i == 0 && op.kind == MountOp::Kind::RootOverlay) {
      auto merged = mount_root_overlay(plan.root, op);
      if (!merged) return merged.error();
      root = *merged;
      continue;
    }
    if (op.target == "/") {  // image "host": the root is a fresh tmpfs
      if (op.kind != MountOp::Kind::Tmpfs || root_fd.valid()) {
        return make_error(Errc::invalid_argument, "mount plan: only a first tmpfs may target /");
      }
      if (auto r = do_mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, op.data); !r) return r;
      continue;
    }
    if (!root_fd.valid()) {
      root_fd = UniqueFd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!root_fd.valid()) return sys_error("open", root, errno);
    }
    if (auto r = apply_op(root_fd.get(), op); !r) return r;
  }
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only ours.
  if (chdir(root.c_str()) != 0) return sys_error("chdir", root, errno);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return sys_error("pivot_root", root, errno);
  if (umount2(".", MNT_DETACH) != 0) return sys_error("umount old root", ".", errno);
  if (chdir("/") != 0) return sys_error("chdir", "/", errno);
  return {};
}

Result<void> set_hostname(const std::string& name) {
  if (sethostname(name.c_str(), name.size()) != 0) return sys_error("sethostname", name, errno);
  return {};
}

Result<void> bring_up_loopback() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket", "AF_INET", errno);
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0 && (ifr.ifr_flags & IFF_UP) == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(fd);
  if (rc != 0) return sys_error("ioctl SIOCSIFFLAGS", "lo", err);
  return {};
}

namespace {

// Docker's default set less CAP_MKNOD and CAP_NET_RAW.
constexpr std::array<int, 12> kKeep{
    CAP_CHOWN,   CAP_DAC_OVERRIDE,     CAP_FOWNER,     CAP_FSETID,
    CAP_KILL,    CAP_SETGID,           CAP_SETUID,     CAP_SETPCAP,
    CAP_SETFCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_AUDIT_WRITE};

}  // namespace

Result<void> confine_agent() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return sys_error("capget", "hive-agent", errno);
  std::uint32_t keep[2]{};
  for (int cap : kKeep) keep[cap / 32] |= 1U << (cap % 32);
  for (int i = 0; i < 2; ++i) {  // never more than it has (a Pod may grant fewer)
    data[i].permitted &= keep[i];
    data[i].effective = data[i].permitted;
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &header, data) != 0) return sys_error("capset", "hive-agent", errno);
  // With the commands' capabilities the agent would be theirs to ptrace, and its /proc/1/fd
  // theirs to open; not dumpable, it needs CAP_SYS_PTRACE, which nothing here has. (Set after
  // capset: a change of credentials may reset it.)
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return sys_error("prctl", "PR_SET_DUMPABLE", errno);
  if (int err = confine_command(command_filter()); err != 0) {
    return sys_error("seccomp", "hive-agent", err);
  }
  mark_agent_confined();
  return {};
}

Result<void> drop_dangerous_capabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (std::find(kKeep.begin(), kKeep.end(), cap) != kKeep.end()) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      return sys_error("prctl PR_CAPBSET_DROP", std::to_string(cap), errno);
    }
  }
  return {};
}

Result<void> make_workdir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (std::filesystem::is_directory(dir)) return {};
  const std::string why = ec ? ec.message() : "a file of that name is in the way";
  return make_error(Errc::invalid_argument, "workdir '" + dir + "' cannot be made: " + why);
}

}  // namespace hive::agent
