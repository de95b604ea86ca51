// hivectl cp: copy files and directories between this machine and a sandbox, kubectl-style
// (ID:PATH names the sandbox side). Tar on the wire, so modes and symlinks survive.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iterator>

#include "app.hpp"

namespace hive::cli {
namespace {

struct CpOptions {
  std::string source, destination;
};

// "sb-1:/workspace/x" -> {"sb-1", "/workspace/x"}; a local path (even one with a ':' after a
// '/', like ./a:b) -> nullopt.
std::optional<std::pair<std::string, std::string>> remote_of(const std::string& arg) {
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  if (arg.substr(0, colon).find('/') != std::string::npos) return std::nullopt;
  std::string path = arg.substr(colon + 1);
  return std::make_pair(arg.substr(0, colon), path.empty() ? "." : path);
}

int cp_usage(const Invocation& inv, const std::string& message) {
  inv.io.err << "hivectl cp: " << message
             << "\nUsage: hivectl cp SRC ID:DEST  |  hivectl cp ID:SRC DEST\n";
  return kExitUsage;
}

// 1536 -> "1.5 KiB".
std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (; value >= 1024 && unit + 1 < std::size(units); ++unit) value /= 1024;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

// "12.3 MiB copied" on a terminal's stderr, redrawn at most 5 times a second and only once a
// copy has taken longer than that; nothing when stderr is not a terminal. The line is cleared
// at the end, by run_cp.
struct Progress {
  Invocation& inv;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool shown = false;

  void operator()(std::uint64_t bytes) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200)) return;
    last = now;
    shown = true;
    inv.io.err << "\r\033[K" << human_bytes(bytes) << " copied" << std::flush;
  }
};

int run_cp(Invocation& inv, const CpOptions& o) {
  auto from = remote_of(o.source), to = remote_of(o.destination);
  if (from && to)
    return cp_usage(inv, "one side must be local (copy between sandboxes in two steps)");
  if (!from && !to) return cp_usage(inv, "one side must name a sandbox as ID:PATH");
  Progress progress{inv};
  sandbox::Client::OnCopied on_progress;
  if (isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr) {
    on_progress = [&progress](std::uint64_t bytes) { progress(bytes); };
  }
  auto copied = to ? inv.client().copy_to(to->first, o.source, to->second, on_progress)
                   : inv.client().copy_from(from->first, from->second, o.destination, on_progress);
  if (progress.shown) inv.io.err << "\r\033[K" << std::flush;
  if (!copied) return inv.fail(copied.error());
  return kExitOk;
}

}  // namespace

void add_cp(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<CpOptions>();
  auto* cmd = app.add_subcommand("cp", "Copy files and directories to or from a sandbox");
  cmd->footer(R"(Into an existing directory the source keeps its name; otherwise it takes DEST's.
Modes and symlinks are kept; nothing is written outside DEST, whatever the archive says.

Examples:
  hivectl cp ./src sb-4k7q2m9x:/workspace/src
  hivectl cp sb-4k7q2m9x:/workspace/out ./out
  hivectl cp rollout-1:results.json .        (relative paths start at the sandbox's workdir)
  hivectl cp -- -notes.txt sb-4k7q2m9x:/workspace/   (after --, names may start with -)

On a terminal, a long copy shows the bytes so far on stderr.)");
  cmd->add_option("SRC", o->source, "a local path, or ID:PATH")->required();
  cmd->add_option("DEST", o->destination, "a local path, or ID:PATH")->required();
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_cp(inv, *o); }; });
}

}  // namespace hive::cli
