// What hive-agent does once, as PID 1 of a fresh local sandbox, before it serves: apply the
// server's mount plan and pivot into the new root, name the host, bring up loopback, and
// narrow the capability bounding set so commands cannot undo the isolation.
#pragma once

#include <string>

#include "common/mount_plan.hpp"
#include "hive/error.hpp"

namespace hive::agent {

// Runs in the sandbox's own mount namespace; on success "/" is plan.root.
Result<void> apply_mount_plan(const hive::MountPlan& plan);
Result<void> set_hostname(const std::string& name);
// The sandbox's workdir, made if missing (a workdir outside /workspace is in no image); one
// that cannot be made is the spec's fault (invalid_argument), not a sandbox to run anyway.
Result<void> make_workdir(const std::string& dir);
Result<void> bring_up_loopback();
// Drops every capability outside Docker's default set from the bounding set, so no command
// run later can mount, load modules, make device nodes or open files by handle.
Result<void> drop_dangerous_capabilities();
// Once set up, the agent takes the commands' own confinement: their capabilities (effective
// and permitted, not only the bounding set), no_new_privs, the seccomp filter, and it is not
// dumpable. Every file and MCP operation it does for a client is then one a command could do.
Result<void> confine_agent();

}  // namespace hive::agent
