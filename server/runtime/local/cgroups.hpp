// Cgroups for local sandboxes, v1 and v2 behind one interface. Each sandbox gets a group
// named after its id below the server's own group (so the server's limits bound its
// sandboxes): v1 in the memory, cpu and pids hierarchies, v2 in the unified one when that is
// where the controllers are.
#pragma once

#include <string>
#include <vector>

#include "hive/error.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::server::local {

struct CgroupHierarchy {
  std::string controller;  // "memory", "cpu", "pids" (v1) or "unified" (v2)
  std::string parent;      // where sandbox groups go, e.g. /sys/fs/cgroup/memory/<own>/hive
};

struct CgroupLayout {
  enum class Version { V1, V2, None };
  Version version = Version::None;
  std::vector<CgroupHierarchy> hierarchies;
};

// Reads /proc/self/mountinfo and /proc/self/cgroup.
CgroupLayout detect_cgroups();

// Pure: the layout from the text of /proc/self/mountinfo and /proc/self/cgroup.
CgroupLayout parse_cgroup_layout(const std::string& mountinfo, const std::string& own_cgroups);

// Inside every sandbox group, the commands the agent starts go to a child "work" that carries
// the spec's limits; hive-agent and slirp4netns stay outside it, bounded only by the sandbox
// group's memory limit (the spec's plus kAgentMemoryAllowance, so what the agent writes for a
// client is the sandbox's, and an OOM kill in "work" comes first). A runaway
// command meets the limits and the agent does not: it keeps answering at the memory limit,
// and under a CPU spin it competes as one peer of all the commands together (equal weights),
// so exec still answers. Under v1 the agent sits in the sandbox group itself; v2 allows no
// process in a group whose children have controllers, so there it gets a sibling "agent".
// (One cgroup fewer per hierarchy under v1: cgroup creation is serialised by the kernel and
// shows in a burst of spawns.)
std::string agent_group(const CgroupLayout& layout, const std::string& sandbox_dir);
// The sandbox group as a whole (agent and work) may use this much memory past the limit.
#if defined(__SANITIZE_ADDRESS__)
// An ASan build's agent (built with the server) carries shadow memory and a quarantine.
inline constexpr std::int64_t kAgentMemoryAllowance = 1LL << 30;
#else
inline constexpr std::int64_t kAgentMemoryAllowance = 64 << 20;
#endif
std::string work_group(const std::string& sandbox_dir);

// Creates the sandbox's groups and applies the spec's limits to "work"; returns the sandbox
// groups' directories (one per hierarchy).
Result<std::vector<std::string>> create_cgroups(const CgroupLayout& layout, const std::string& id,
                                                const sandbox::Resources& resources);
// What the kernel counted against the limits: "oom" when the memory controller killed a
// process, "pids-limit" when a fork failed at pids.max; "" when neither happened.
std::string limit_hit(const std::vector<std::string>& dirs);

// Pure: the value of `key` in a flat-keyed cgroup file ("oom_kill 3\nmax 0\n"), or 0.
std::int64_t cgroup_counter(const std::string& text, const std::string& key);

// Kills whatever is left in the groups (children first) and removes them; waits for the kernel
// to let go.
Result<void> remove_cgroups(const std::vector<std::string>& dirs);

}  // namespace hive::server::local
