// hivectl deprovision: stop sandboxes and remove everything of them.
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

namespace {

struct DeprovisionOptions {
  std::vector<std::string> ids;
  std::string selector;
  bool all = false;
};

void report(const Invocation& inv, const sandbox::Sandbox& sb) {
  if (inv.print_options().structured()) {
    print_sandbox(inv.io.out, inv.print_options(), sb);
  } else if (inv.format() == OutputFormat::Name) {
    inv.io.out << sb.id << "\n";
  } else {
    inv.io.out << sb.id << " deprovisioned\n";
  }
}

int run_deprovision(Invocation& inv, const DeprovisionOptions& o) {
  int choices = (o.ids.empty() ? 0 : 1) + (o.selector.empty() ? 0 : 1) + (o.all ? 1 : 0);
  if (choices != 1) {
    inv.io.err << "hivectl deprovision: give sandbox ids, -l SELECTOR, or --all (one of them)\n"
                  "Run 'hivectl deprovision --help' for usage.\n";
    return kExitUsage;
  }
  auto client = inv.client();
  int code = kExitOk;
  if (o.ids.empty()) {
    auto result = client.deprovision_matching(o.selector);
    if (!result) return inv.fail(result.error());
    if (result->deprovisioned.empty() && result->failed.empty() && !o.selector.empty()) {
      inv.io.err << "No sandboxes match -l '" << o.selector << "'.\n";
    }
    for (const auto& sb : result->deprovisioned) report(inv, sb);
    for (const auto& [id, error] : result->failed) {
      code = inv.fail(make_error(error.code, id + ": " + error.message));
    }
    return code;
  }
  for (const auto& id : o.ids) {
    auto sb = client.deprovision(id);
    if (sb) {
      report(inv, *sb);
    } else {
      code = inv.fail(sb.error());
    }
  }
  return code;
}

}  // namespace

void add_deprovision(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<DeprovisionOptions>();
  auto* cmd = app.add_subcommand("deprovision", "Stop sandboxes and remove all their state");
  cmd->alias("delete");
  cmd->alias("rm");
  cmd->footer(R"(Examples:
  hivectl deprovision sb-4k7q2m9x
  hivectl deprovision rollout-1 rollout-2
  hivectl deprovision -l run=42
  hivectl deprovision --all)");
  cmd->add_option("ID", o->ids, "sandbox ids or names");
  cmd->add_option("-l,--selector", o->selector, "every sandbox whose labels match")
      ->type_name("SELECTOR");
  cmd->add_flag("--all", o->all, "every sandbox");
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_deprovision(inv, *o); }; });
}

}  // namespace hive::cli
