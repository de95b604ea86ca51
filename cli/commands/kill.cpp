// hivectl kill: send a signal to a background process's group.
#include "app.hpp"

namespace hive::cli {
namespace {

struct KillOptions {
  std::string id;
  int pid = 0;
  std::string signal = "TERM";
};

}  // namespace

void add_kill(CLI::App& app, Invocation& inv) {
  auto kill_options = std::make_shared<KillOptions>();
  auto* kill = app.add_subcommand("kill", "Send a signal to a background process");
  kill->footer(R"(The signal goes to the process's whole group (what it started, too).

Examples:
  hivectl kill sb-4k7q2m9x 7
  hivectl kill -s KILL sb-4k7q2m9x 7)");
  kill->add_option("ID", kill_options->id, "sandbox id or name")->required();
  kill->add_option("PID", kill_options->pid, "process id (hivectl ps)")->required();
  kill->add_option("-s,--signal", kill_options->signal, "TERM (default), KILL, INT, HUP, 9, ...");
  kill->callback([&inv, kill_options] {
    inv.run = [&inv, kill_options] {
      auto sent =
          inv.client().signal_process(kill_options->id, kill_options->pid, kill_options->signal);
      if (!sent) return inv.fail(sent.error());
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
