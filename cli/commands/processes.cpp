// hivectl ps / logs / kill: background processes in a sandbox (started by exec -d).
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

struct ProcessOptions {
  std::string id;
  int pid = 0;
  bool follow = false;
  std::string signal = "TERM";
};

int run_logs(Invocation& inv, const ProcessOptions& o) {
  int exit_code = kExitOk;
  auto done = inv.client().process_logs(o.id, o.pid, o.follow, [&](const sandbox::ExecEvent& e) {
    if (e.kind == sandbox::ExecEvent::Kind::Stdout) inv.io.out << e.data << std::flush;
    if (e.kind == sandbox::ExecEvent::Kind::Stderr) inv.io.err << e.data << std::flush;
    if (e.kind == sandbox::ExecEvent::Kind::Exit) exit_code = e.result.exit_code;
    return true;
  });
  if (!done) return inv.fail(done.error());
  // Following to the end, exit as the process did (as `hivectl exec` does); else 0.
  return o.follow ? exit_code : kExitOk;
}

}  // namespace

void add_processes(CLI::App& app, Invocation& inv) {
  auto ps_options = std::make_shared<ProcessOptions>();
  auto* ps = app.add_subcommand("ps", "List a sandbox's background processes");
  ps->footer(R"(Examples:
  hivectl exec -d sb-4k7q2m9x -- python3 -m http.server
  hivectl ps sb-4k7q2m9x
  hivectl ps sb-4k7q2m9x -o json)");
  ps->add_option("ID", ps_options->id, "sandbox id or name")->required();
  ps->callback([&inv, ps_options] {
    inv.run = [&inv, ps_options] {
      auto processes = inv.client().list_processes(ps_options->id);
      if (!processes) return inv.fail(processes.error());
      print_processes(inv.io.out, inv.print_options(), *processes);
      return kExitOk;
    };
  });

  auto logs_options = std::make_shared<ProcessOptions>();
  auto* logs = app.add_subcommand("logs", "Print a background process's output");
  logs->footer(R"(The output so far (its last 4 MiB); with -f, then the rest as it comes, and exit
with the process's exit code.

Examples:
  hivectl logs sb-4k7q2m9x 7
  hivectl logs -f sb-4k7q2m9x 7)");
  logs->add_option("ID", logs_options->id, "sandbox id or name")->required();
  logs->add_option("PID", logs_options->pid, "process id (hivectl ps)")->required();
  logs->add_flag("-f,--follow", logs_options->follow, "keep printing until the process exits");
  logs->callback([&inv, logs_options] {
    inv.run = [&inv, logs_options] { return run_logs(inv, *logs_options); };
  });

  auto kill_options = std::make_shared<ProcessOptions>();
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
