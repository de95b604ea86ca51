// The plan for image "host", as data: pure, so it is unit-tested without root. The local
// runtime sends it to hive-agent as JSON (common/mount_plan.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/mount_plan.hpp"

namespace hive::server::local {

// One top-level entry of the host's root, as the builder needs to know it.
struct HostEntry {
  std::string name;         // "usr", "lib64"
  std::string link_target;  // non-empty when the entry is a symlink (merged /usr)
};

struct HostRootPlanInput {
  std::string root;             // an empty host directory to mount the sandbox's root on
  std::string workspace;        // host directory bound at /workspace
  std::string etc_mask;         // host directory of overlay whiteouts hiding secrets in /etc
  std::vector<HostEntry> host;  // the host's top-level entries
  // resources.disk in bytes, 0 for none. The writable layer is a tmpfs; with a limit it has
  // that size and holds /workspace too (charged to the sandbox's memory cgroup as well).
  // Without one, /workspace is the host directory above.
  std::int64_t disk_bytes = 0;
  // A host file bound over /etc/resolv.conf (egress sandboxes resolve through slirp4netns).
  std::string resolv_conf;
  // The sandbox's memory limit in bytes, 0 for none: /tmp and /dev/shm are tmpfs, whose pages
  // are memory, so together they are sized within it (3/4 and 1/4; a tmpfs's default would
  // be half the host's RAM each).
  std::int64_t memory_bytes = 0;
};

// /proc entries hidden from every sandbox, and those made read-only: the OCI runtime spec's
// defaults as containerd and Docker apply them, plus /proc/kallsyms and /proc/vmallocinfo
// (kernel addresses; Docker relies on CAP_SYSLOG being dropped, the agent's reads included).
extern const std::vector<std::string> kMaskedProcPaths;
extern const std::vector<std::string> kReadOnlyProcPaths;

// The plan for image "host": system directories read-only, /etc without secrets, fresh /tmp,
// /proc and a minimal /dev, and /workspace. Never /root, /home or the server's state.
// A "/" target means the root itself (a size-limited tmpfs when disk_bytes is set).
MountPlan host_root_plan(const HostRootPlanInput& input);

// The plan for an OCI image: the root is an overlay of its layers (directories named in
// `layers`, top first, under layers_root) beneath a private writable tmpfs, sized by
// disk_bytes when set; then /proc, /dev, /tmp and /workspace as for "host", and the files
// a container gets from its runtime: /etc/hosts, /etc/hostname and /etc/resolv.conf (from
// sandbox_files/hosts, /hostname, and resolv_conf or the host's).
struct ImageRootPlanInput {
  HostRootPlanInput base;
  std::string layers_root;
  std::vector<std::string> layers;
  std::string sandbox_files;
};
Result<MountPlan> image_root_plan(const ImageRootPlanInput& input);

// Reads the host's top-level system entries ("/usr", "/bin" ...) from the real filesystem.
std::vector<HostEntry> scan_host_root();

// Files under /etc that a sandbox must never see; each becomes a whiteout in etc_mask.
std::vector<std::string> etc_secrets(const std::string& etc_dir);

}  // namespace hive::server::local
