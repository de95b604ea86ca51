// hivectl cp: copy files and directories between this machine and a sandbox, kubectl-style
// (ID:PATH names the sandbox side). Tar on the wire, so modes and symlinks survive.
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

int usage(const Invocation& inv, const std::string& message) {
  inv.io.err << "hivectl cp: " << message
             << "\nUsage: hivectl cp SRC ID:DEST  |  hivectl cp ID:SRC DEST\n";
  return kExitUsage;
}

int run_cp(Invocation& inv, const CpOptions& o) {
  auto from = remote_of(o.source), to = remote_of(o.destination);
  if (from && to) return usage(inv, "one side must be local (copy between sandboxes in two steps)");
  if (!from && !to) return usage(inv, "one side must name a sandbox as ID:PATH");
  auto copied = to ? inv.client().copy_to(to->first, o.source, to->second)
                   : inv.client().copy_from(from->first, from->second, o.destination);
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
  hivectl cp rollout-1:results.json .        (relative paths start at the sandbox's workdir))");
  cmd->add_option("SRC", o->source, "a local path, or ID:PATH")->required();
  cmd->add_option("DEST", o->destination, "a local path, or ID:PATH")->required();
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_cp(inv, *o); }; });
}

}  // namespace hive::cli
