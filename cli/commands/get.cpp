// hivectl list / get: show sandboxes.
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

void add_list(CLI::App& app, Invocation& inv) {
  auto state = std::make_shared<std::string>();
  auto selector = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("list", "List sandboxes");
  cmd->alias("ls");
  cmd->footer(R"(Examples:
  hivectl list
  hivectl list --state Running -o name
  hivectl list -l 'run=42,tier in (a,b),!debug'
  hivectl list -o wide --show-labels
  hivectl list -o yaml
  hivectl list -o json)");
  cmd->add_option("-l,--selector", *selector, "label selector: k=v, k!=v, k in (a,b), k, !k");
  cmd->add_option("--state", *state, "only sandboxes in this state")
      ->check(
          CLI::IsMember({"Pending", "Starting", "Running", "Terminating", "Terminated", "Failed"}));
  cmd->callback([&inv, state, selector] {
    inv.run = [&inv, state, selector] {
      sandbox::ListOptions options;
      options.selector = *selector;
      if (!state->empty()) options.state = sandbox::state_from_string(*state);
      auto sandboxes = inv.client().list(options);
      if (!sandboxes) return inv.fail(sandboxes.error());
      print_sandboxes(inv.io.out, inv.print_options(), *sandboxes);
      return kExitOk;
    };
  });
}

void add_get(CLI::App& app, Invocation& inv) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("get", "Show one or more sandboxes by id or name");
  cmd->footer(R"(Examples:
  hivectl get sb-4k7q2m9x
  hivectl get rollout-17 -o json)");
  cmd->add_option("ID", *ids, "sandbox ids or names")->required();
  cmd->callback([&inv, ids] {
    inv.run = [&inv, ids] {
      auto client = inv.client();
      std::vector<sandbox::Sandbox> found;
      int code = kExitOk;
      for (const auto& id : *ids) {
        auto sb = client.get(id);
        if (!sb) {
          code = inv.fail(sb.error());
          continue;
        }
        found.push_back(std::move(*sb));
      }
      if (found.size() == 1 && ids->size() == 1) {
        print_sandbox(inv.io.out, inv.print_options(), found.front());
      } else if (!found.empty()) {
        print_sandboxes(inv.io.out, inv.print_options(), found);
      }
      return code;
    };
  });
}

}  // namespace hive::cli
