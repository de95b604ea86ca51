// Path resolution: the agent's resolve_path (every /files and MCP file path) must give an
// absolute, normalised path; no path into /proc may open the agent's own entry or a
// descriptor (the fuzzer is the agent here), and none into /proc or /sys may be a tree to
// pack or unpack; the tar unpacker behind `hivectl cp` must write nothing outside
// its destination, whatever names, links and sizes an archive claims.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/file_ops.hpp"
#include "hive/sandbox/tar.hpp"

namespace fs = std::filesystem;

namespace {

void check_resolved(const std::string& path, const std::string& cwd) {
  auto resolved = hive::agent::resolve_path(path, cwd);
  if (resolved.empty() || resolved.front() != '/') __builtin_trap();
  if (resolved.find("//") != std::string::npos) __builtin_trap();
  if (resolved.find("/../") != std::string::npos || resolved.ends_with("/..")) __builtin_trap();
  if (resolved.find("/./") != std::string::npos || resolved.ends_with("/.")) __builtin_trap();
}

const fs::path& scratch() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("hive-fuzz-tar-" + std::to_string(getpid()));
    fs::create_directories(d / "outside");
    return d;
  }();
  return dir;
}

bool under(const std::string& path, const std::string& dir) {
  return path.rfind(dir, 0) == 0 && (path.size() == dir.size() || path[dir.size()] == '/');
}

// Only paths into /proc and /sys are opened: anywhere else an open can have effects (a device).
void check_contained(const std::string& path) {
  if (!under(path, "/proc") && !under(path, "/sys")) return;
  if (hive::agent::check_tree_path(path)) __builtin_trap();
  if (!under(path, "/proc")) return;
  auto opened = hive::agent::open_to_read(path, /*directory_ok=*/true);
  if (!opened) return;
  close(*opened);
  const std::string own = "/proc/" + std::to_string(getpid());
  for (const auto& dir : {std::string("/proc/self"), std::string("/proc/thread-self"), own}) {
    if (under(path, dir)) __builtin_trap();
  }
  if (path.find("/fd/") != std::string::npos || path.find("/map_files/") != std::string::npos) {
    // A descriptor by name: only a regular file a command could open as well may come back,
    // never through the magic link (openat2 refuses those outright).
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto cut = bytes.find('\0');
  if (cut != std::string_view::npos && cut < 512) {
    check_resolved(std::string(bytes.substr(0, cut)), "/workspace");
    check_resolved(std::string(bytes.substr(0, cut)), "/");
    check_contained(hive::agent::resolve_path(std::string(bytes.substr(0, cut)), "/"));
  }
  const fs::path dest = scratch() / "dest";
  fs::create_directories(dest);
  {
    hive::sandbox::TarReader reader(dest.string());
    if (reader.write(bytes)) (void)reader.finish();
  }
  // Nothing but dest/ and the empty outside/ may exist in the scratch directory.
  for (const auto& entry : fs::directory_iterator(scratch())) {
    auto name = entry.path().filename();
    if (name != "dest" && name != "outside") __builtin_trap();
  }
  if (!fs::is_empty(scratch() / "outside")) __builtin_trap();
  std::error_code ec;
  fs::remove_all(dest, ec);
  return 0;
}
