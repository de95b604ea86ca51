// hivectl version: the client's version and the server's.
#include "app.hpp"

namespace hive::cli {

void add_version(CLI::App& app, Invocation& inv) {
  auto client_only = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("version", "Print the client and server versions");
  cmd->add_flag("--client", *client_only, "only the client's version (no server call)");
  cmd->callback([&inv, client_only] {
    inv.run = [&inv, client_only] {
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
