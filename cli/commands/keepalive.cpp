// hivectl keepalive: restart sandboxes' idle clocks and push their expiry.
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

void add_keepalive(CLI::App& app, Invocation& inv) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(
      "keepalive", "Restart a sandbox's idle clock and push its expiry to now + its TTL");
  cmd->footer(R"(Examples:
  hivectl keepalive sb-4k7q2m9x
  while sleep 60; do hivectl keepalive rollout-1; done)");
  cmd->add_option("ID", *ids, "sandbox ids or names")->required();
  cmd->callback([&inv, ids] {
    inv.run = [&inv, ids] {
      auto client = inv.client();
      int code = kExitOk;
      for (const auto& id : *ids) {
        auto sb = client.keepalive(id);
        if (!sb) {
          code = inv.fail(sb.error());
        } else if (inv.print_options().structured()) {
          print_sandbox(inv.io.out, inv.print_options(), *sb);
        } else {
          inv.io.out << sb->id << " expires " << sb->expires_at << "\n";
        }
      }
      return code;
    };
  });
}

}  // namespace hive::cli
