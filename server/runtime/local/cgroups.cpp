#include "runtime/local/cgroups.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "hive/sandbox/codec.hpp"

namespace hive::server::local {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, sep)) parts.push_back(part);
  return parts;
}

// "4:memory:/process_api/x" -> {"memory": "/process_api/x"}; "0::/" -> {"": "/"}.
std::map<std::string, std::string> own_paths(const std::string& own_cgroups) {
  std::map<std::string, std::string> paths;
  for (const auto& line : split(own_cgroups, '\n')) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    for (const auto& controller : split(line.substr(first + 1, second - first - 1), ',')) {
      paths[controller] = line.substr(second + 1);
    }
    if (second == first + 1) paths[""] = line.substr(second + 1);
  }
  return paths;
}

std::string join_cgroup(const std::string& mount_point, const std::string& mount_root,
                        std::string own) {
  // In a container the mount's root may be our own group already; strip what it covers.
  if (mount_root != "/" && own.rfind(mount_root, 0) == 0) own = own.substr(mount_root.size());
  std::string dir = mount_point + (own == "/" ? "" : own);
  return dir + "/hive";
}

Result<void> write_value(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) return sys_error("write", path, errno ? errno : EIO);
  return {};
}

Result<void> apply_limits(const CgroupHierarchy& h, const std::string& dir,
                          const sandbox::Resources& res) {
  bool v2 = h.controller == "unified";
  if (!res.memory.empty() && (v2 || h.controller == "memory")) {
    auto bytes = sandbox::parse_byte_quantity(res.memory);
    if (!bytes) return bytes.error();
    auto r =
        write_value(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), std::to_string(*bytes));
    if (!r) return r;
  }
  if (res.pids > 0 && (v2 || h.controller == "pids")) {
    if (auto r = write_value(dir + "/pids.max", std::to_string(res.pids)); !r) return r;
  }
  if (!res.cpu.empty() && (v2 || h.controller == "cpu")) {
    auto millis = sandbox::parse_cpu_millis(res.cpu);
    if (!millis) return millis.error();
    const std::string quota = std::to_string(*millis * 100);  // per 100 ms period
    if (v2) return write_value(dir + "/cpu.max", quota + " 100000");
    if (auto r = write_value(dir + "/cpu.cfs_period_us", "100000"); !r) return r;
    return write_value(dir + "/cpu.cfs_quota_us", quota);
  }
  return {};
}

// The sandbox's whole group, the agent's included, gets the memory limit plus the agent's
// allowance: what the agent does for a client (an upload into /tmp's tmpfs, an output buffer)
// is charged to the sandbox, never to the host, while "work" alone keeps the spec's figure.
Result<void> bound_agent(const CgroupHierarchy& h, const std::string& dir,
                         const sandbox::Resources& res) {
  bool v2 = h.controller == "unified";
  if (res.memory.empty() || !(v2 || h.controller == "memory")) return {};
  auto bytes = sandbox::parse_byte_quantity(res.memory);
  if (!bytes) return bytes.error();
  return write_value(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"),
                     std::to_string(*bytes + kAgentMemoryAllowance));
}

}  // namespace

CgroupLayout parse_cgroup_layout(const std::string& mountinfo, const std::string& own_cgroups) {
  auto own = own_paths(own_cgroups);
  CgroupLayout v1{CgroupLayout::Version::V1, {}};
  CgroupLayout v2{CgroupLayout::Version::V2, {}};
  for (const auto& line : split(mountinfo, '\n')) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto before = split(line.substr(0, dash), ' ');
    auto after = split(line.substr(dash + 3), ' ');
    if (before.size() < 5 || after.size() < 3) continue;
    const std::string& root = before[3];
    const std::string& mount_point = before[4];
    if (after[0] == "cgroup") {
      for (const auto& option : split(after[2], ',')) {
        if ((option == "memory" || option == "cpu" || option == "pids") && own.count(option)) {
          v1.hierarchies.push_back({option, join_cgroup(mount_point, root, own[option])});
        }
      }
    } else if (after[0] == "cgroup2" && mount_point == "/sys/fs/cgroup") {
      v2.hierarchies.push_back({"unified", mount_point + "/hive"});
    }
  }
  if (!v1.hierarchies.empty()) return v1;
  if (!v2.hierarchies.empty()) return v2;
  return {};
}

CgroupLayout detect_cgroups() {
  return parse_cgroup_layout(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup"));
}

std::string agent_group(const CgroupLayout& layout, const std::string& sandbox_dir) {
  return layout.version == CgroupLayout::Version::V2 ? sandbox_dir + "/agent" : sandbox_dir;
}
std::string work_group(const std::string& sandbox_dir) { return sandbox_dir + "/work"; }

Result<std::vector<std::string>> create_cgroups(const CgroupLayout& layout, const std::string& id,
                                                const sandbox::Resources& resources) {
  std::vector<std::string> dirs;
  for (const auto& h : layout.hierarchies) {
    std::error_code ec;
    if (!fs::exists(h.parent, ec)) {
      fs::create_directories(h.parent, ec);
      // v2 hands controllers down level by level; enabling them is best effort here.
      if (h.controller == "unified") {
        (void)write_value(fs::path(h.parent).parent_path().string() + "/cgroup.subtree_control",
                          "+memory +pids +cpu");
        (void)write_value(h.parent + "/cgroup.subtree_control", "+memory +pids +cpu");
      }
    }
    const std::string dir = h.parent + "/" + id;
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      Error error = sys_error("mkdir", dir, errno);
      (void)remove_cgroups(dirs);
      return error;
    }
    dirs.push_back(dir);
    if (h.controller == "unified")
      (void)write_value(dir + "/cgroup.subtree_control", "+memory +pids +cpu");
    for (const auto& child : {agent_group(layout, dir), work_group(dir)}) {
      if (child != dir && mkdir(child.c_str(), 0755) != 0 && errno != EEXIST) {
        Error error = sys_error("mkdir", child, errno);
        (void)remove_cgroups(dirs);
        return error;
      }
    }
    auto limited = apply_limits(h, work_group(dir), resources);
    if (limited) limited = bound_agent(h, dir, resources);
    if (!limited) {
      (void)remove_cgroups(dirs);
      return limited.error();
    }
  }
  return dirs;
}

std::int64_t cgroup_counter(const std::string& text, const std::string& key) {
  for (const auto& line : split(text, '\n')) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ' ') {
      return std::atoll(line.c_str() + key.size() + 1);
    }
  }
  return 0;
}

std::string limit_hit(const std::vector<std::string>& dirs) {
  bool oom = false, pids = false;
  std::vector<std::string> groups;
  for (const auto& dir : dirs) {
    groups.push_back(work_group(dir));  // where the limits are
    groups.push_back(dir);              // a sandbox from before the agent/work split
  }
  for (const auto& dir : groups) {
    // v1 keeps the OOM kill count in memory.oom_control, v2 in memory.events.
    for (const char* file : {"/memory.oom_control", "/memory.events"}) {
      std::error_code ec;
      if (fs::exists(dir + file, ec))
        oom = oom || cgroup_counter(read_file(dir + file), "oom_kill") > 0;
    }
    std::error_code ec;
    if (fs::exists(dir + "/pids.events", ec)) {
      pids = pids || cgroup_counter(read_file(dir + "/pids.events"), "max") > 0;
    }
  }
  // Every limit hit so far, not the first alone: an oom does not hide a later pids-limit.
  std::string hits = oom ? "oom" : "";
  if (pids) hits += std::string(hits.empty() ? "" : ", ") + "pids-limit";
  return hits;
}

namespace {

Result<void> remove_group(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono_literals;
  for (auto pause = 1ms;; pause = std::min(pause * 2, 50ms)) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      return sys_error("rmdir", dir, errno);
    }
    // Busy: processes are still in it (or still exiting). Make sure they are on their way.
    for (const auto& pid : split(read_file(dir + "/cgroup.procs"), '\n')) {
      if (!pid.empty()) kill(std::stoi(pid), SIGKILL);
    }
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace

Result<void> remove_cgroups(const std::vector<std::string>& dirs) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const auto& dir : dirs) {
    for (const auto& group : {work_group(dir), dir + "/agent", dir}) {  // v2 has an agent group
      if (auto r = remove_group(group, deadline); !r) return r;
    }
  }
  return {};
}

}  // namespace hive::server::local
