// hivectl keepalive: restart sandboxes' idle clocks and push their expiry.
#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

int run_keepalive(Invocation& inv, const Targets& targets) {
  if (auto usage = check_targets(inv, "keepalive", targets)) return *usage;
  auto ids = target_ids(inv, targets, Matching::Live);
  if (!ids) return inv.fail(ids.error());
  if (ids->empty()) inv.io.err << "No running sandboxes match -l '" << targets.selector << "'.\n";
  auto client = inv.client();
  int code = kExitOk;
  for (const auto& id : *ids) {
    auto sb = client.keepalive(id);
    if (!sb) {
      code = inv.fail(sb.error());
    } else if (inv.print_options().structured()) {
      print_sandbox(inv.io.out, inv.print_options(), *sb);
    } else if (inv.format() == OutputFormat::Name) {
      inv.io.out << sb->id << "\n";
    } else {
      inv.io.out << sb->id << " expires " << sb->expires_at << "\n";
    }
  }
  return code;
}

}  // namespace

void add_keepalive(CLI::App& app, Invocation& inv) {
  auto targets = std::make_shared<Targets>();
  auto* cmd = app.add_subcommand(
      "keepalive", "Restart a sandbox's idle clock and push its expiry to now + its TTL");
  cmd->footer(R"(Examples:
  hivectl keepalive sb-4k7q2m9x
  hivectl keepalive -l run=42      # every sandbox of the run that has not ended
  while sleep 60; do hivectl keepalive rollout-1; done)");
  add_targets(*cmd, *targets);
  cmd->callback(
      [&inv, targets] { inv.run = [&inv, targets] { return run_keepalive(inv, *targets); }; });
}

}  // namespace hive::cli
