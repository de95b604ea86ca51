#include "seccomp.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <vector>

namespace hive::agent {
namespace {

constexpr unsigned kDenied[] = {
    SYS_init_module,
    SYS_finit_module,
    SYS_delete_module,
    SYS_kexec_load,
    SYS_kexec_file_load,
    SYS_reboot,
    SYS_swapon,
    SYS_swapoff,
    SYS_mount,
    SYS_umount2,
    SYS_pivot_root,
    SYS_move_mount,
    SYS_open_tree,
    SYS_fsopen,
    SYS_fsconfig,
    SYS_fsmount,
    SYS_fspick,
    SYS_mount_setattr,
    SYS_unshare,
    SYS_setns,
    SYS_keyctl,
    SYS_add_key,
    SYS_request_key,
    SYS_bpf,
    SYS_perf_event_open,
    SYS_userfaultfd,
    SYS_open_by_handle_at,
    SYS_name_to_handle_at,
    SYS_acct,
    SYS_quotactl,
    SYS_syslog,
    SYS_iopl,
    SYS_ioperm,
    SYS_settimeofday,
    SYS_clock_settime,
    SYS_clock_adjtime,
    SYS_adjtimex,
    SYS_lookup_dcookie,
    SYS_vhangup,
    SYS_uselib,
    SYS_io_uring_setup,
    SYS_io_uring_enter,
    SYS_io_uring_register,
    SYS_fanotify_init,
};

constexpr unsigned kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// A classic BPF program whose forward jumps to the deny exit are resolved once it is whole.
class FilterBuilder {
 public:
  void load(std::size_t offset) {
    add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<__u32>(offset)));
  }
  // if (A == k) goto deny
  void deny_if_equal(unsigned k) { jump_to_deny(BPF_JMP | BPF_JEQ | BPF_K, k, true); }
  void deny_unless_equal(unsigned k) { jump_to_deny(BPF_JMP | BPF_JEQ | BPF_K, k, false); }
  void deny_if_at_least(unsigned k) { jump_to_deny(BPF_JMP | BPF_JGE | BPF_K, k, true); }
  void deny_if_any_bit(unsigned k) { jump_to_deny(BPF_JMP | BPF_JSET | BPF_K, k, true); }
  // if (A == k) return value; used for clone3's ENOSYS.
  void return_if_equal(unsigned k, unsigned value) {
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1));
    add(BPF_STMT(BPF_RET | BPF_K, value));
  }
  // if (A != k) skip the next n instructions
  void skip_unless_equal(unsigned k, unsigned char n) {
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, n));
  }
  void allow() { add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)); }
  // Appends the deny exit and points every pending jump at it.
  std::vector<sock_filter> finish() {
    const auto deny = program_.size();
    add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
    for (auto [at, when_true] : fixups_) {
      auto distance = static_cast<unsigned char>(deny - at - 1);
      (when_true ? program_[at].jt : program_[at].jf) = distance;
    }
    return program_;
  }

 private:
  void add(sock_filter instruction) { program_.push_back(instruction); }
  void jump_to_deny(unsigned short code, unsigned k, bool when_true) {
    fixups_.emplace_back(program_.size(), when_true);
    add(BPF_JUMP(code, k, 0, 0));
  }
  std::vector<sock_filter> program_;
  std::vector<std::pair<std::size_t, bool>> fixups_;
};

std::vector<sock_filter> build_filter() {
  FilterBuilder f;
  f.load(offsetof(seccomp_data, arch));
  f.deny_unless_equal(AUDIT_ARCH_X86_64);
  f.load(offsetof(seccomp_data, nr));
  f.deny_if_at_least(0x40000000);  // __X32_SYSCALL_BIT
  f.return_if_equal(SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
  for (unsigned nr : kDenied) f.deny_if_equal(nr);
  // clone(flags, ...): threads and forks pass, new namespaces do not.
  f.skip_unless_equal(SYS_clone, 2);
  f.load(offsetof(seccomp_data, args[0]));  // the low half of flags (little-endian)
  f.deny_if_any_bit(kNamespaceFlags);
  f.allow();
  return f.finish();
}

}  // namespace

const sock_fprog& command_filter() {
  static const std::vector<sock_filter> program = build_filter();
  static const sock_fprog prog{static_cast<unsigned short>(program.size()),
                               const_cast<sock_filter*>(program.data())};
  return prog;
}

namespace {
bool g_agent_confined = false;
}  // namespace

void mark_agent_confined() { g_agent_confined = true; }
bool agent_confined() { return g_agent_confined; }

int confine_command(const sock_fprog& filter) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace hive::agent
