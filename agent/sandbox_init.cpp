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

#include "seccomp.hpp"

namespace hive::agent {
namespace {

namespace fs = std::filesystem;
using hive::MountOp;

Result<void> make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return sys_error("mkdir", path, ec.value());
  return {};
}

// A bind target must be the same kind as its source: a directory or an (empty) file.
Result<void> make_bind_target(const std::string& source, const std::string& target) {
  struct stat st {};
  if (stat(source.c_str(), &st) != 0) return sys_error("stat", source, errno);
  if (S_ISDIR(st.st_mode)) return make_dirs(target);
  struct stat existing {};
  if (lstat(target.c_str(), &existing) == 0) return {};  // e.g. a file of a read-only /etc
  if (auto r = make_dirs(fs::path(target).parent_path()); !r) return r;
  int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EISDIR) return sys_error("create", target, errno);
  if (fd >= 0) close(fd);
  return {};
}

Result<void> do_mount(const char* source, const std::string& target, const char* type,
                      unsigned long flags, const std::string& data) {
  if (mount(source, target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return sys_error(std::string("mount ") + (type ? type : "bind"), target, errno);
  }
  return {};
}

// Remounting a bind read-only must keep the flags the source mount already has.
Result<void> remount_read_only(const std::string& target) {
  struct statvfs vfs {};
  if (statvfs(target.c_str(), &vfs) != 0) return sys_error("statvfs", target, errno);
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (vfs.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return do_mount(nullptr, target, nullptr, flags, "");
}

Result<void> apply_op(const std::string& root, const MountOp& op) {
  const std::string target = root + op.target;
  switch (op.kind) {
    case MountOp::Kind::Bind: {
      if (auto r = make_bind_target(op.source, target); !r) return r;
      if (auto r = do_mount(op.source.c_str(), target, nullptr, MS_BIND | MS_REC, ""); !r) return r;
      return op.read_only ? remount_read_only(target) : Result<void>{};
    }
    case MountOp::Kind::Overlay:
      if (auto r = make_dirs(target); !r) return r;
      return do_mount("overlay", target, "overlay", MS_RDONLY, op.source);
    case MountOp::Kind::Tmpfs:
      if (auto r = make_dirs(target); !r) return r;
      return do_mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, op.data);
    case MountOp::Kind::Proc:
      if (auto r = make_dirs(target); !r) return r;
      return do_mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
    case MountOp::Kind::Devpts:
      if (auto r = make_dirs(target); !r) return r;
      return do_mount("devpts", target, "devpts", MS_NOSUID | MS_NOEXEC, op.data);
    case MountOp::Kind::Mkdir:
      return make_dirs(target);
    case MountOp::Kind::ReadOnly: {
      struct stat st {};
      if (lstat(target.c_str(), &st) != 0) return {};  // not on this kernel
      auto r = do_mount(target.c_str(), target, nullptr, MS_BIND | MS_REC, "");
      return r ? remount_read_only(target) : r;
    }
    case MountOp::Kind::Mask: {
      struct stat st {};
      if (lstat(target.c_str(), &st) != 0) return {};  // not on this kernel
      if (!S_ISDIR(st.st_mode)) return do_mount("/dev/null", target, nullptr, MS_BIND, "");
      return do_mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      "size=0,mode=555");
    }
    case MountOp::Kind::Symlink:
      if (symlink(op.source.c_str(), target.c_str()) != 0 && errno != EEXIST) {
        return sys_error("symlink", target, errno);
      }
      return {};
  }
  return {};
}

}  // namespace

Result<void> apply_mount_plan(const hive::MountPlan& plan) {
  // Nothing mounted below may propagate back to the host's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return sys_error("make-rprivate", "/", errno);
  }
  if (auto r = do_mount(plan.root.c_str(), plan.root, nullptr, MS_BIND, ""); !r) return r;
  for (const auto& op : plan.ops) {
    if (auto r = apply_op(plan.root, op); !r) return r;
  }
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only ours.
  if (chdir(plan.root.c_str()) != 0) return sys_error("chdir", plan.root, errno);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return sys_error("pivot_root", plan.root, errno);
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
