// hivectl get: show sandboxes by id or name.
#include "app.hpp"
#include "commands/shared.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

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
