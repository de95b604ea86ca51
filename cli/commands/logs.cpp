// hivectl logs: a background process's output, so far or followed to its exit.
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

struct LogsOptions {
  std::string id;
  int pid = 0;
  bool follow = false;
};

// `hivectl logs ID` with no pid: the only background process's, as kubectl logs takes a
// pod's only container; with several (or none), the list to choose from and how to ask.
int pick_process(Invocation& inv, LogsOptions& o) {
  auto processes = inv.client().list_processes(o.id);
  if (!processes) return inv.fail(processes.error());
  if (processes->size() == 1) {
    o.pid = processes->front().pid;
    return kExitOk;
  }
  if (processes->empty()) {
    inv.io.err << "hivectl logs: sandbox \"" << o.id
               << "\" has no background processes; start one with: hivectl exec -d " << o.id
               << " -- COMMAND\n";
    return kExitError;
  }
  print_processes(inv.io.err, {}, *processes);
  inv.io.err << "hivectl logs: sandbox \"" << o.id << "\" has " << processes->size()
             << " background processes; say which: hivectl logs " << o.id << " PID\n";
  return kExitUsage;
}

int run_logs(Invocation& inv, LogsOptions o) {
  if (o.pid == 0) {
    if (int picked = pick_process(inv, o); picked != kExitOk) return picked;
  }
  int exit_code = kExitOk;
  auto done = inv.client().process_logs(o.id, o.pid, o.follow, [&](const sandbox::ExecEvent& e) {
    if (e.kind == sandbox::ExecEvent::Kind::Stdout) inv.io.out << e.data << std::flush;
    if (e.kind == sandbox::ExecEvent::Kind::Stderr) inv.io.err << e.data << std::flush;
    if (e.kind == sandbox::ExecEvent::Kind::Exit) exit_code = e.result.exit_code;
    if (e.kind == sandbox::ExecEvent::Kind::Start && e.dropped_bytes > 0) {
      inv.io.err << "hivectl: the oldest " << e.dropped_bytes
                 << " bytes of this process's log were dropped (the newest 4 MiB are kept)\n";
    }
    return true;
  });
  if (!done) return inv.fail(done.error());
  // Following to the end, exit as the process did (as `hivectl exec` does); else 0.
  return o.follow ? exit_code : kExitOk;
}

}  // namespace

void add_logs(CLI::App& app, Invocation& inv) {
  auto logs_options = std::make_shared<LogsOptions>();
  auto* logs = app.add_subcommand("logs", "Print a background process's output");
  logs->footer(R"(The output so far (its newest 4 MiB; what was dropped before is said on stderr);
with -f, then the rest as it comes, and exit with the process's exit code. Without PID: the
sandbox's only background process; with several, they are listed (as hivectl ps lists them)
to pick one.

Examples:
  hivectl logs sb-4k7q2m9x 7
  hivectl logs -f sb-4k7q2m9x 7
  hivectl logs sb-4k7q2m9x        # its one background process (hivectl exec -d))");
  logs->add_option("ID", logs_options->id, "sandbox id or name")->required();
  logs->add_option("PID", logs_options->pid, "process id (hivectl ps ID); optional with one")
      ->check([](const std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() < 10 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        if (digits && std::stoi(text) > 0) return "";
        return "'" + text + "' is not a process id (hivectl ps ID lists them)";
      });
  logs->add_flag("-f,--follow", logs_options->follow, "keep printing until the process exits");
  logs->callback([&inv, logs_options] {
    inv.run = [&inv, logs_options] { return run_logs(inv, *logs_options); };
  });
}

}  // namespace hive::cli
