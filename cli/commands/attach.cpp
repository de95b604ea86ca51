// hivectl attach: the sandbox's shell, interactively (hivectl exec -it ID -- bash).
#include <unistd.h>

#include "app.hpp"
#include "commands/shared.hpp"

namespace hive::cli {

void add_attach(CLI::App& app, Invocation& inv) {
  auto id = std::make_shared<std::string>();
  auto no_tty = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("attach", "Open the sandbox's shell, interactively");
  cmd->footer(R"(A terminal when stdin is one (raw keys, window size, Ctrl-C to the shell); plain
pipes otherwise. Exits with the shell's exit code. Same as: hivectl exec -it ID -- bash

Examples:
  hivectl attach sb-4k7q2m9x
  printf 'cd /workspace\nls\n' | hivectl attach sb-4k7q2m9x)");
  cmd->add_option("ID", *id, "sandbox id or name")->required();
  cmd->add_flag("--no-tty", *no_tty, "plain pipes even on a terminal");
  cmd->callback([&inv, id, no_tty] {
    inv.run = [&inv, id, no_tty] {
      sandbox::AttachOptions attach;
      attach.tty = !*no_tty && isatty(STDIN_FILENO);
      attach.input_fd = STDIN_FILENO;
      return run_interactive(inv, *id, std::move(attach));
    };
  });
}

}  // namespace hive::cli
