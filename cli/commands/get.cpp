// hivectl list / get: show sandboxes.
#include <algorithm>

#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

namespace {

// list -w and get -w: each event as it comes; a table row (the header once), an id, or with -o json
// / yaml / jsonpath the event itself.
int run_watch(Invocation& inv, const sandbox::ListOptions& options,
              const std::vector<std::string>& only = {}) {
  auto print = inv.print_options();
  auto watched = inv.client().watch(options, [&](const sandbox::WatchEvent& event) {
    const auto& sb = event.sandbox;
    if (!only.empty() && std::find(only.begin(), only.end(), sb.id) == only.end() &&
        (sb.spec.name.empty() || std::find(only.begin(), only.end(), sb.spec.name) == only.end())) {
      return true;  // get -w: not one of those asked for
    }
    if (print.structured()) {
      print_structured(
          inv.io.out, print,
          sandbox::Json{{"type", event.type}, {"object", sandbox::to_json(event.sandbox)}});
      if (print.format == OutputFormat::JsonPath) inv.io.out << "\n";
    } else {
      sandbox::Sandbox row = event.sandbox;
      if (event.type == "DELETED") row.state = sandbox::State::Terminated;  // gone, as kubectl says
      print_sandboxes(inv.io.out, print, {row});
      print.headers = false;
    }
    inv.io.out << std::flush;
    return true;
  });
  if (!watched) return inv.fail(watched.error());
  return kExitOk;
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
  hivectl list -w -o json        # {"type": "ADDED|MODIFIED|DELETED", "object": {...}} a line)");
  cmd->add_option("-l,--selector", *selector, "label selector: k=v, k!=v, k in (a,b), k, !k");
  cmd->add_option("--state", *state, "only sandboxes in this state")
      ->check(
          CLI::IsMember({"Pending", "Starting", "Running", "Terminating", "Terminated", "Failed"}));
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

void add_get(CLI::App& app, Invocation& inv) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("get", "Show one or more sandboxes by id or name");
  cmd->footer(R"(Examples:
  hivectl get sb-4k7q2m9x
  hivectl get rollout-17 -o json
  hivectl get -w sb-4k7q2m9x      # then a row for each of its changes, until Ctrl-C)");
  auto watch = std::make_shared<bool>(false);
  cmd->add_option("ID", *ids, "sandbox ids or names")->required();
  cmd->add_flag("-w,--watch", *watch, "after showing them, print each change as it happens");
  cmd->callback([&inv, ids, watch] {
    inv.run = [&inv, ids, watch] {
      if (*watch) return run_watch(inv, {}, *ids);
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
