// hivectl describe: everything about sandboxes, for people.
#include <chrono>

#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

int run_describe(Invocation& inv, const Targets& targets) {
  if (auto usage = check_targets(inv, "describe", targets)) return *usage;
  auto ids = target_ids(inv, targets);
  if (!ids) return inv.fail(ids.error());
  if (ids->empty()) inv.io.err << "No sandboxes match -l '" << targets.selector << "'.\n";
  auto client = inv.client();
  int code = kExitOk;
  bool first = true;
  for (const auto& id : *ids) {
    auto sb = client.get(id);
    if (!sb) {
      code = inv.fail(sb.error());
      continue;
    }
    if (!first) inv.io.out << "\n";
    first = false;
    describe(inv.io.out, *sb, std::chrono::system_clock::now());
  }
  return code;
}

}  // namespace

void add_describe(CLI::App& app, Invocation& inv) {
  auto targets = std::make_shared<Targets>();
  auto* cmd = app.add_subcommand("describe", "Show everything about sandboxes, for people");
  cmd->footer(R"(Examples:
  hivectl describe sb-4k7q2m9x
  hivectl describe -l run=42)");
  add_targets(*cmd, *targets);
  cmd->callback(
      [&inv, targets] { inv.run = [&inv, targets] { return run_describe(inv, *targets); }; });
}

}  // namespace hive::cli
