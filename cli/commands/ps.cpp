// hivectl ps: a sandbox's background processes (started by exec -d).
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

void add_ps(CLI::App& app, Invocation& inv) {
  auto id = std::make_shared<std::string>();
  auto* ps = app.add_subcommand("ps", "List a sandbox's background processes");
  ps->footer(R"(Examples:
  hivectl exec -d sb-4k7q2m9x -- python3 -m http.server
  hivectl ps sb-4k7q2m9x
  hivectl ps sb-4k7q2m9x -o json)");
  ps->add_option("ID", *id, "sandbox id or name")->required();
  ps->callback([&inv, id] {
    inv.run = [&inv, id] {
      auto processes = inv.client().list_processes(*id);
      if (!processes) return inv.fail(processes.error());
      print_processes(inv.io.out, inv.print_options(), *processes);
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
