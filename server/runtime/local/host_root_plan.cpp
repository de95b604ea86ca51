#include "runtime/local/host_root_plan.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace hive::server::local {
namespace {

namespace fs = std::filesystem;
using Kind = MountOp::Kind;

// Host system directories a "host" sandbox gets read-only. /etc is handled on its own (masked).
constexpr std::array<std::string_view, 7> kSystemDirs{"usr",   "bin",   "sbin",  "lib",
                                                      "lib32", "lib64", "libx32"};

// Device nodes a sandbox may use; bound from the host one by one, never the whole /dev.
constexpr std::array<std::string_view, 6> kDevices{"null",   "zero",    "full",
                                                   "random", "urandom", "tty"};

MountOp op(Kind kind, std::string source, std::string target, std::string data = "",
           bool read_only = false) {
  return MountOp{kind, std::move(source), std::move(target), std::move(data), read_only};
}

// "mode=1777", with a size when the sandbox has a memory limit.
std::string tmpfs_options(std::int64_t size_bytes) {
  std::string options = "mode=1777";
  if (size_bytes > 0) options += ",size=" + std::to_string(size_bytes);
  return options;
}

void add_dev(std::vector<MountOp>& ops, std::int64_t shm_bytes) {
  ops.push_back(op(Kind::Tmpfs, "", "/dev", "mode=755,size=64k"));
  for (auto dev : kDevices) {
    ops.push_back(op(Kind::Bind, "/dev/" + std::string(dev), "/dev/" + std::string(dev)));
  }
  ops.push_back(op(Kind::Devpts, "", "/dev/pts", "newinstance,ptmxmode=0666,mode=620"));
  ops.push_back(op(Kind::Symlink, "pts/ptmx", "/dev/ptmx"));
  ops.push_back(op(Kind::Tmpfs, "", "/dev/shm", tmpfs_options(shm_bytes)));
  ops.push_back(op(Kind::Symlink, "/proc/self/fd", "/dev/fd"));
  ops.push_back(op(Kind::Symlink, "/proc/self/fd/0", "/dev/stdin"));
  ops.push_back(op(Kind::Symlink, "/proc/self/fd/1", "/dev/stdout"));
  ops.push_back(op(Kind::Symlink, "/proc/self/fd/2", "/dev/stderr"));
}

void add_proc_dev_tmp(std::vector<MountOp>& ops, std::int64_t memory_bytes);

}  // namespace

const std::vector<std::string> kMaskedProcPaths{
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/proc/kallsyms",   "/proc/vmallocinfo"};
const std::vector<std::string> kReadOnlyProcPaths{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                  "/proc/sysrq-trigger"};

namespace {

void add_proc_dev_tmp(std::vector<MountOp>& ops, std::int64_t memory_bytes) {
  ops.push_back(op(Kind::Proc, "", "/proc"));
  // Most of /proc is not namespaced: sysctls, sysrq, IRQ affinity reach the host, and some
  // entries show its kernel's memory.
  for (const auto& path : kMaskedProcPaths) ops.push_back(op(Kind::Mask, "", path));
  for (const auto& path : kReadOnlyProcPaths) ops.push_back(op(Kind::ReadOnly, "", path));
  // Together no more than the limit: the agent's writes there must leave it room to answer.
  const std::int64_t shm_bytes = memory_bytes / 4;
  add_dev(ops, shm_bytes);
  ops.push_back(op(Kind::Tmpfs, "", "/tmp", tmpfs_options(memory_bytes - shm_bytes)));
}

// overlayfs takes its options in one page; each layer costs its name and a colon.
constexpr std::size_t kMaxLowerdirBytes = 4096 - 512;

}  // namespace

Result<MountPlan> image_root_plan(const ImageRootPlanInput& input) {
  const HostRootPlanInput& base = input.base;
  std::size_t lower_bytes = 0;
  for (const auto& layer : input.layers) lower_bytes += layer.size() + 1;
  if (input.layers.empty() || lower_bytes > kMaxLowerdirBytes) {
    return make_error(Errc::invalid_argument, "an image of " + std::to_string(input.layers.size()) +
                                                  " layers cannot be mounted here (1 to " +
                                                  std::to_string(kMaxLowerdirBytes / 65) + " are)");
  }
  MountPlan plan;
  plan.root = base.root;
  auto& ops = plan.ops;
  std::string upper_options = "mode=755";
  if (base.disk_bytes > 0) upper_options += ",size=" + std::to_string(base.disk_bytes);
  MountOp root = op(Kind::RootOverlay, input.layers_root, "/", upper_options);
  root.layers = input.layers;
  ops.push_back(std::move(root));
  add_proc_dev_tmp(ops, base.memory_bytes);
  ops.push_back(op(Kind::Bind, input.sandbox_files + "/hosts", "/etc/hosts"));
  ops.push_back(op(Kind::Bind, input.sandbox_files + "/hostname", "/etc/hostname"));
  ops.push_back(op(Kind::Bind, base.resolv_conf.empty() ? "/etc/resolv.conf" : base.resolv_conf,
                   "/etc/resolv.conf", "", /*read_only=*/true));
  if (base.disk_bytes > 0) {
    ops.push_back(op(Kind::Mkdir, "", "/workspace"));
  } else {
    ops.push_back(op(Kind::Bind, base.workspace, "/workspace"));
  }
  return plan;
}

MountPlan host_root_plan(const HostRootPlanInput& input) {
  MountPlan plan;
  plan.root = input.root;
  auto& ops = plan.ops;
  // The root is always a fresh tmpfs: its skeleton of mount points is made in memory, where
  // a mkdir costs ~10 us instead of ~150 us on the host's disk (most of a spawn, measured).
  const bool limited = input.disk_bytes > 0;
  std::string root_options = "mode=755";
  if (limited) root_options += ",size=" + std::to_string(input.disk_bytes);
  ops.push_back(op(Kind::Tmpfs, "", "/", root_options));
  for (auto dir : kSystemDirs) {
    auto entry = std::find_if(input.host.begin(), input.host.end(),
                              [&](const HostEntry& e) { return e.name == dir; });
    if (entry == input.host.end()) continue;
    std::string target = "/" + entry->name;
    if (!entry->link_target.empty()) {
      ops.push_back(op(Kind::Symlink, entry->link_target, target));
    } else {
      ops.push_back(op(Kind::Bind, target, target, "", /*read_only=*/true));
    }
  }
  ops.push_back(op(Kind::Overlay, "lowerdir=" + input.etc_mask + ":/etc", "/etc", "", true));
  if (!input.resolv_conf.empty()) {
    ops.push_back(op(Kind::Bind, input.resolv_conf, "/etc/resolv.conf", "", true));
  }
  add_proc_dev_tmp(ops, input.memory_bytes);
  for (const char* dir : {"/var", "/var/tmp", "/run", "/root", "/home"}) {
    ops.push_back(op(Kind::Mkdir, "", dir));
  }
  if (limited) {
    ops.push_back(op(Kind::Mkdir, "", "/workspace"));
  } else {
    ops.push_back(op(Kind::Bind, input.workspace, "/workspace"));
  }
  return plan;
}

std::vector<HostEntry> scan_host_root() {
  std::vector<HostEntry> entries;
  for (auto dir : kSystemDirs) {
    fs::path path = fs::path("/") / dir;
    std::error_code ec;
    auto status = fs::symlink_status(path, ec);
    if (ec || !fs::exists(status)) continue;
    HostEntry entry{std::string(dir), ""};
    if (fs::is_symlink(status)) entry.link_target = fs::read_symlink(path, ec).string();
    if (!ec) entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<std::string> etc_secrets(const std::string& etc_dir) {
  std::vector<std::string> secrets;
  for (const char* name : {"shadow", "shadow-", "gshadow", "gshadow-", "ssl/private",
                           "security/opasswd", "sudoers", "sudoers.d"}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(fs::path(etc_dir) / name, ec))) secrets.emplace_back(name);
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(etc_dir) / "ssh", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("ssh_host_", 0) == 0 && name.size() > 4 &&
        name.compare(name.size() - 4, 4, "_key") == 0) {
      secrets.push_back("ssh/" + name);
    }
  }
  std::sort(secrets.begin(), secrets.end());
  return secrets;
}

}  // namespace hive::server::local
