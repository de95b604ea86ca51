// hivectl get: show sandboxes by id or name, or by label.
#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

int run_get(Invocation& inv, const Targets& targets, bool watch) {
  if (auto usage = check_targets(inv, "get", targets)) return *usage;
  if (!targets.selector.empty()) {  // as list -l: one request, and the table even for one
    sandbox::ListOptions options{.selector = targets.selector};
    if (watch) return run_watch(inv, options);
    auto matching = inv.client().list(options);
    if (!matching) return inv.fail(matching.error());
    if (matching->empty() && !inv.print_options().structured()) {
      inv.io.err << "No sandboxes match -l '" << targets.selector << "'.\n";
      return kExitOk;
    }
    print_sandboxes(inv.io.out, inv.print_options(), *matching);
    return kExitOk;
  }
  if (watch) return run_watch(inv, {}, targets.ids);
  auto client = inv.client();
  std::vector<sandbox::Sandbox> found;
  int code = kExitOk;
  for (const auto& id : targets.ids) {
    auto sb = client.get(id);
    if (!sb) {
      code = inv.fail(sb.error());
      continue;
    }
    found.push_back(std::move(*sb));
  }
  if (found.size() == 1 && targets.ids.size() == 1) {
    print_sandbox(inv.io.out, inv.print_options(), found.front());
  } else if (!found.empty()) {
    print_sandboxes(inv.io.out, inv.print_options(), found);
  }
  return code;
}

}  // namespace

void add_get(CLI::App& app, Invocation& inv) {
  auto targets = std::make_shared<Targets>();
  auto watch = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("get", "Show one or more sandboxes by id, name or label");
  cmd->footer(R"(Examples:
  hivectl get sb-4k7q2m9x
  hivectl get rollout-17 -o json
  hivectl get -l run=42           # the sandboxes whose labels match, as list -l shows them
  hivectl get -w sb-4k7q2m9x      # then a row for each of its changes, until Ctrl-C)");
  add_targets(*cmd, *targets);
  cmd->add_flag("-w,--watch", *watch, "after showing them, print each change as it happens");
  cmd->callback([&inv, targets, watch] {
    inv.run = [&inv, targets, watch] { return run_get(inv, *targets, *watch); };
  });
}

}  // namespace hive::cli
