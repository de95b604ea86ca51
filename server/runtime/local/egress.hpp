// network: egress for local sandboxes. The sandbox keeps its own network namespace; a
// slirp4netns process on the host side gives it user-mode networking (tap0, 10.0.2.100/24,
// gateway 10.0.2.2, DNS 10.0.2.3), so it reaches outside through ordinary host sockets
// without seeing any host interface, and never the host's loopback. slirp4netns joins the
// sandbox's cgroups, so it counts against its limits and dies with it at teardown.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hive/error.hpp"

namespace hive::server::local {

inline constexpr const char* kEgressResolvConf = "nameserver 10.0.2.3\n";

// Starts slirp4netns for the network namespace of `sandbox_pid` and waits until tap0 is up.
// Its messages go to `log_path` (the sandbox's own log, never the server's: they would land
// unprefixed in it, breaking --log-format json). Returns slirp4netns's pid.
Result<pid_t> start_egress(pid_t sandbox_pid, const std::vector<std::string>& cgroup_dirs,
                           const std::string& log_path);

}  // namespace hive::server::local
