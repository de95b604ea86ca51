// hivectl list: show sandboxes, by state and labels.
#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

std::vector<std::string> state_names() {
  std::vector<std::string> names;
  for (auto state : sandbox::all_states()) names.push_back(sandbox::to_string(state));
  return names;
}

}  // namespace

void add_list(CLI::App& app, Invocation& inv) {
  auto state = std::make_shared<std::string>();
  auto selector = std::make_shared<std::string>();
  auto watch = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("list", "List sandboxes");
  cmd->alias("ls");
  cmd->footer(R"(Examples:
  hivectl list
  hivectl list --state Running -o name
  hivectl list -l 'run=42,tier in (a,b),!debug'
  hivectl list -o wide --show-labels
  hivectl list -o yaml
  hivectl list -o json
  hivectl list -w -l run=42      # then a row for every change, until Ctrl-C
  hivectl list -w -o json        # {"type":"ADDED|MODIFIED|DELETED","object":{...}}, one a line)");
  cmd->add_option("-l,--selector", *selector, "label selector: k=v, k!=v, k in (a,b), k, !k")
      ->type_name("SELECTOR");
  cmd->add_option("--state", *state, "only sandboxes in this state (any case)")
      ->transform(CLI::IsMember(state_names(), CLI::ignore_case));
  cmd->add_flag("-w,--watch", *watch, "after the list, print each change as it happens");
  cmd->callback([&inv, state, selector, watch] {
    inv.run = [&inv, state, selector, watch] {
      sandbox::ListOptions options;
      options.selector = *selector;
      if (!state->empty()) options.state = sandbox::state_from_string(*state);
      if (*watch) return run_watch(inv, options);
      auto sandboxes = inv.client().list(options);
      if (!sandboxes) return inv.fail(sandboxes.error());
      print_sandboxes(inv.io.out, inv.print_options(), *sandboxes);
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
