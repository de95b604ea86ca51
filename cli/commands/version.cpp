// hivectl version: the client's version and the server's.
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

// kubectl's shape: {"clientVersion": {...}, "serverVersion": {...}}; with no server to ask,
// no serverVersion and the reason on stderr.
int print_versions(Invocation& inv, bool client_only) {
  sandbox::Json out{{"clientVersion", {{"version", HIVE_VERSION}}}};
  std::optional<Error> failed;
  if (!client_only) {
    if (auto server = inv.client().version()) {
      out["serverVersion"] = {
          {"version", server->version}, {"api", server->api}, {"runtime", server->runtime}};
    } else {
      failed = server.error();
    }
  }
  print_structured(inv.io.out, inv.print_options(), out);
  return failed ? inv.fail(*failed) : kExitOk;
}

}  // namespace

void add_version(CLI::App& app, Invocation& inv) {
  auto client_only = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("version", "Print the client and server versions");
  cmd->footer(R"(Examples:
  hivectl version
  hivectl version --client       # the same as hivectl --version
  hivectl version -o json        # {"clientVersion": {...}, "serverVersion": {...}})");
  cmd->add_flag("--client", *client_only, "only the client's version (no server call)");
  cmd->callback([&inv, client_only] {
    inv.run = [&inv, client_only] {
      if (inv.print_options().structured()) return print_versions(inv, *client_only);
      inv.io.out << "Client Version: " << HIVE_VERSION << "\n";
      if (*client_only) return kExitOk;
      auto version = inv.client().version();
      if (!version) return inv.fail(version.error());
      inv.io.out << "Server Version: " << version->version << " (api " << version->api
                 << ", runtime " << version->runtime << ")\n";
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
