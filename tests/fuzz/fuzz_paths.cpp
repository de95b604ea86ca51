// Path resolution: the agent's resolve_path (every /files and MCP file path) must give an
// absolute, normalised path; the tar unpacker behind `hivectl cp` must write nothing outside
// its destination, whatever names, links and sizes an archive claims.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "file_ops.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto cut = bytes.find('\0');
  if (cut != std::string_view::npos && cut < 512) {
    check_resolved(std::string(bytes.substr(0, cut)), "/workspace");
    check_resolved(std::string(bytes.substr(0, cut)), "/");
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
