// The seccomp filter every command in a sandbox runs under (docs/security.md). It refuses, with
// EPERM, what a sandboxed program never needs and what would widen the kernel surface it can
// reach: kernel modules, mounting and pivoting, new namespaces (user namespaces above all:
// inside one a process gets back every capability the agent dropped), keyrings, bpf, perf,
// userfaultfd, file handles, clocks, swap, reboot and kexec. clone3 answers ENOSYS, as under
// Docker, so libc falls back to clone, whose flags a filter can read. Anything not x86_64
// (the x32 ABI, 32-bit calls) is refused too. ptrace stays: the pid namespace already keeps it
// to the sandbox's own processes, and debuggers are part of the job.
#pragma once

struct sock_fprog;

namespace hive::agent {

// The filter, built on first use: call it before vfork, where allocating is allowed.
const sock_fprog& command_filter();

// Sets no_new_privs and installs the filter on the calling task; system calls only, so it is
// safe between vfork and execve. Returns 0 or the errno of the prctl that failed.
int confine_command(const sock_fprog& filter);

// The agent confines itself once set up (sandbox_init.hpp); its commands then inherit the
// filter and no_new_privs, and a second copy of the filter would only slow their system calls.
void mark_agent_confined();
bool agent_confined();

}  // namespace hive::agent
