// hivectl logs: a background process's output, so far or followed to its exit.
#include "app.hpp"

namespace hive::cli {
namespace {

struct LogsOptions {
  std::string id;
  int pid = 0;
  bool follow = false;
};

int run_logs(Invocation& inv, const LogsOptions& o) {
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
  logs->footer(
      R"(The output so far (its newest 4 MiB; what was dropped before is said on stderr); with -f, then the rest as it comes, and exit
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
}

}  // namespace hive::cli
