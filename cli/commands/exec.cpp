// hivectl exec: run a command in a sandbox, with its stdout, stderr and exit code as ours.
#include <unistd.h>

#include "app.hpp"
#include "commands/shared.hpp"
#include "duration.hpp"

namespace hive::cli {
namespace {

struct ExecOptions {
  std::string id;
  std::vector<std::string> env;
  std::string workdir;
  double timeout = 0;
  bool stdin_open = false;
  bool tty = false;
  bool detach = false;
};

int exec_usage(const Invocation& inv, const std::string& message) {
  inv.io.err << "hivectl exec: " << message
             << "\nUsage: hivectl exec [-it] [-d] [-e K=V] [-w DIR] [--timeout 30s] ID -- COMMAND "
                "[ARG...]\n";
  return kExitExecHive;
}

}  // namespace

int exec_missing_dashes(const Invocation& inv) {
  return exec_usage(inv, "the command must follow '--', e.g. hivectl exec ID -- ls -la");
}

namespace {

int run_exec(Invocation& inv, const ExecOptions& o) {
  if (!inv.saw_dashes) return exec_missing_dashes(inv);
  if (inv.after_dashes.empty()) return exec_usage(inv, "no command after '--'");
  sandbox::ExecRequest request;
  request.argv = inv.after_dashes;
  request.cwd = o.workdir;
  request.timeout_seconds = o.timeout;
  for (const auto& item : o.env) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return exec_usage(inv, "--env '" + item + "': expected K=V");
    request.env[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if ((o.stdin_open || o.tty) && !o.detach) {
    sandbox::AttachOptions attach;
    attach.command = request.argv;
    attach.cwd = request.cwd;
    attach.env = request.env;
    attach.tty = o.tty;
    attach.input_fd = o.stdin_open ? STDIN_FILENO : -1;
    return run_interactive(inv, o.id, std::move(attach));
  }
  if (o.detach) {
    auto started = inv.client().start_process(o.id, request);
    if (!started) return exec_failed(inv, started.error());
    inv.io.out << started->pid << "\n";  // for hivectl ps / logs / kill
    return kExitOk;
  }
  // Output is passed on as the command prints it, each stream flushed at once.
  auto result = inv.client().exec_stream(o.id, request, [&inv](const sandbox::ExecEvent& event) {
    if (event.kind == sandbox::ExecEvent::Kind::Stdout) {
      inv.io.out << event.data << std::flush;
    } else if (event.kind == sandbox::ExecEvent::Kind::Stderr) {
      inv.io.err << event.data << std::flush;
    }
    return true;
  });
  if (!result) return exec_failed(inv, result.error());
  if (!result->error.empty()) inv.io.err << "hivectl: " << result->error << "\n";
  if (result->timed_out) inv.io.err << "hivectl: command timed out after " << o.timeout << "s\n";
  if (result->truncated) {
    // Output lost must not read as success: a script checking $? would take a part for all.
    inv.io.err << "hivectl: output was truncated by the server; exiting 125\n";
    return result->exit_code != 0 ? result->exit_code : kExitExecHive;
  }
  return result->exit_code;
}

}  // namespace

void add_exec(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<ExecOptions>();
  auto* cmd = app.add_subcommand("exec", "Run a command in a sandbox: exec ID -- COMMAND [ARG...]");
  cmd->footer(R"(The command follows '--' and is exec'd directly (no shell); use sh -c for one.
Exits with the command's exit code (128+N for signal N, 125 if Hive failed first or the
output was cut short, 127 if the command was not found, 126 if it could not be run). Output is
streamed as it comes, with no cap.

Examples:
  hivectl exec sb-4k7q2m9x -- ls -la /workspace
  hivectl exec rollout-1 -e DEBUG=1 -w /tmp -- sh -c 'echo $DEBUG > out.txt'
  hivectl exec -it sb-4k7q2m9x -- bash
  echo hi | hivectl exec -i sb-4k7q2m9x -- cat
  hivectl exec -d sb-4k7q2m9x -- python3 -m http.server 8000   # prints the pid)");
  cmd->add_option("ID", o->id, "sandbox id or name")->required();
  cmd->add_option("-e,--env", o->env, "environment KEY=VALUE (repeatable)");
  cmd->add_option("-w,--workdir", o->workdir, "directory to run in (default: the sandbox's)");
  add_seconds_option(*cmd, "--timeout", o->timeout,
                     "how long before the command is killed: 5 (seconds), 30s, 2m");
  cmd->add_flag("-i,--stdin", o->stdin_open, "send our stdin to the command as it comes");
  cmd->add_flag("-t,--tty", o->tty, "a terminal: raw keys, window size, Ctrl-C to the command");
  cmd->add_flag("-d,--detach", o->detach,
                "start it in the background and print its pid (see ps, logs, kill)");
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_exec(inv, *o); }; });
}

}  // namespace hive::cli
