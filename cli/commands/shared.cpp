#include "commands/shared.hpp"

#include <unistd.h>

#include <algorithm>

#include "printers/printer.hpp"
#include "terminal.hpp"

namespace hive::cli {

void add_targets(CLI::App& cmd, Targets& targets) {
  cmd.add_option("ID", targets.ids, "sandbox ids or names");
  cmd.add_option("-l,--selector", targets.selector,
                 "every sandbox whose labels match: k=v, k!=v, k in (a,b), k, !k")
      ->type_name("SELECTOR");
}

std::optional<int> check_targets(const Invocation& inv, const std::string& verb,
                                 const Targets& targets) {
  const bool ids = !targets.ids.empty(), selector = !targets.selector.empty();
  if (ids != selector) return std::nullopt;
  inv.io.err << "hivectl " << verb << ": give sandbox ids or -l SELECTOR"
             << (ids ? ", not both" : "") << "\nRun 'hivectl " << verb << " --help' for usage.\n";
  return kExitUsage;
}

Result<std::vector<std::string>> target_ids(const Invocation& inv, const Targets& targets,
                                            Matching matching) {
  if (targets.selector.empty()) return targets.ids;
  auto listed = inv.client().list({.selector = targets.selector});
  if (!listed) return listed.error();
  std::vector<std::string> ids;
  for (const auto& sb : *listed) {
    if (matching == Matching::All || !sandbox::is_final(sb.state)) ids.push_back(sb.id);
  }
  return ids;
}

int exec_failed(const Invocation& inv, const Error& error) {
  inv.fail(error);
  return error.exit_code != 0 ? error.exit_code : kExitExecHive;
}

int run_interactive(Invocation& inv, const std::string& id, sandbox::AttachOptions attach) {
  // The window's size comes from whichever of our streams is a terminal.
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (attach.tty && isatty(fd)) {
      attach.window_fd = fd;
      break;
    }
  }
  attach.on_stdout = [&inv](std::string_view data) { inv.io.out << data << std::flush; };
  attach.on_stderr = [&inv](std::string_view data) { inv.io.err << data << std::flush; };
  Result<sandbox::ExecResult> result = make_error(Errc::internal, "not run");
  {
    RawTerminal raw(attach.tty && attach.input_fd >= 0 ? attach.input_fd : -1);
    result = inv.client().attach(id, attach);
  }  // the terminal is back before anything is printed
  if (!result) return exec_failed(inv, result.error());
  return result->exit_code;
}

int run_watch(Invocation& inv, const sandbox::ListOptions& options,
              const std::vector<std::string>& only) {
  auto print = inv.print_options();
  auto watched = inv.client().watch(options, [&](const sandbox::WatchEvent& event) {
    const auto& sb = event.sandbox;
    if (!only.empty() && std::find(only.begin(), only.end(), sb.id) == only.end() &&
        (sb.spec.name.empty() || std::find(only.begin(), only.end(), sb.spec.name) == only.end())) {
      return true;  // get -w: not one of those asked for
    }
    if (print.structured()) {
      print_event(inv.io.out, print,
                  sandbox::Json{{"type", event.type}, {"object", sandbox::to_json(event.sandbox)}});
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

}  // namespace hive::cli
