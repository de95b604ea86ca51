// hivectl shell [ID]: a REPL. `use ID` picks a sandbox; then plain lines run in it (by sh, in
// the directory `cd` set), Ctrl-C interrupting the command, not the shell; ":verb args" runs
// any hivectl verb, the sandbox in use filled in (":mcp tools", ":cp f :/workspace/f").
// Line editing, history (~/.hive/history) and Tab completion come from libedit; with stdin
// not a terminal it reads lines and runs them, so a script can pipe into it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include <editline/readline.h>

#include "app.hpp"
#include "commands/shared.hpp"
#include "repl.hpp"

namespace hive::cli {
namespace {

std::atomic<bool> g_interrupted{false};
void on_interrupt(int) { g_interrupted = true; }

struct Session {
  Invocation& inv;
  std::string current, cwd = "/workspace";
  int last_exit = 0;      // what the shell exits with, as sh's $?: errors of ours included
  bool terminal = false;  // lines run on a terminal of their own
};

Session* g_session = nullptr;  // for the completion callback, which takes no context

std::string history_path() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.hive/history";
}

// Runs "hivectl ARGS..." in-process, its output to `out`.
int run_verb(Session& s, std::vector<std::string> args, std::ostream& out) {
  args.insert(args.begin(), "hivectl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return run_hivectl(static_cast<int>(argv.size()), argv.data(), {s.inv.io.in, out, s.inv.io.err});
}

// A plain line at a terminal: sh -c LINE on a terminal of its own in the sandbox (attach), so
// python3, vi, clear and Ctrl-C behave as they do in a local shell.
int run_line_on_terminal(Session& s, const std::string& line) {
  sandbox::AttachOptions attach;
  attach.command = {"sh", "-c", line};
  attach.cwd = s.cwd;
  attach.tty = true;
  attach.input_fd = STDIN_FILENO;
  if (const char* term = std::getenv("TERM"); term != nullptr && *term != '\0') {
    attach.env["TERM"] = term;
  }
  g_interrupted = false;
  const int exit_code = run_interactive(s.inv, s.current, std::move(attach));
  g_interrupted = false;  // a Ctrl-C before the terminal went raw is not the next prompt's
  if (exit_code == 128 + SIGINT) s.inv.io.out << "\n";  // past the terminal's "^C"
  return exit_code;
}

// A plain line from a script: sh -c LINE in the sandbox, output as it comes. It runs as a
// background process so that Ctrl-C can be sent to it (SIGINT) from a watcher.
int run_line(Session& s, const std::string& line) {
  auto client = s.inv.client();
  sandbox::ExecRequest request;
  request.command = line;
  request.cwd = s.cwd;
  auto started = client.start_process(s.current, request);
  if (!started) return s.inv.fail(started.error());
  (void)client.write_stdin(s.current, started->pid, "", true);  // no terminal input to give
  g_interrupted = false;
  std::atomic<bool> done{false}, interrupted{false};
  std::thread watcher([&] {
    auto signaller = s.inv.client();
    while (!done) {
      if (g_interrupted.exchange(false)) {
        interrupted = true;
        (void)signaller.signal_process(s.current, started->pid, "INT");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int exit_code = 0;
  auto followed =
      client.process_logs(s.current, started->pid, true, [&](const sandbox::ExecEvent& e) {
        if (e.kind == sandbox::ExecEvent::Kind::Stdout) s.inv.io.out << e.data << std::flush;
        if (e.kind == sandbox::ExecEvent::Kind::Stderr) s.inv.io.err << e.data << std::flush;
        if (e.kind == sandbox::ExecEvent::Kind::Exit) exit_code = e.result.exit_code;
        return true;
      });
  done = true;
  watcher.join();
  if (interrupted) s.inv.io.out << "\n";  // past the terminal's "^C", as a shell does
  if (!followed) return s.inv.fail(followed.error());
  return exit_code;
}

// `cd DIR`: the directory plain lines run in, checked in the sandbox.
void change_directory(Session& s, const std::vector<std::string>& words) {
  sandbox::ExecRequest request;
  request.argv = {"sh", "-c", "cd \"$1\" && pwd", "sh", words.size() > 1 ? words[1] : "/workspace"};
  request.cwd = s.cwd;
  auto result = s.inv.client().exec(s.current, request);
  if (!result) {
    s.last_exit = s.inv.fail(result.error());
  } else if (result->exit_code != 0) {
    s.inv.io.err << result->stderr_data;
    s.last_exit = result->exit_code;
  } else {
    s.cwd = result->stdout_data.substr(0, result->stdout_data.find('\n'));
    s.last_exit = kExitOk;
  }
}

void use_sandbox(Session& s, const std::string& id) {
  auto sb = s.inv.client().get(id);
  if (!sb) {
    s.last_exit = s.inv.fail(sb.error());
    return;
  }
  s.current = sb->id;
  s.cwd = sb->spec.workdir;
  s.last_exit = kExitOk;
}

// A mistake in the line itself: said, and the shell's status says so too.
void usage_error(Session& s, const std::string& message) {
  s.inv.io.err << "hivectl shell: " << message << "\n";
  s.last_exit = kExitUsage;
}

// One line of input; false when the session should end.
bool handle(Session& s, const std::string& line) {
  auto words = split_words(line);
  if (!words) {
    usage_error(s, words.error().message);
    return true;
  }
  if (words->empty()) return true;
  const std::string first = (*words)[0];
  if (first == ":exit" || first == ":quit") return false;
  if (first == "use") {
    if (words->size() != 2) {
      usage_error(s, "use ID: the sandbox that plain lines run in");
    } else {
      use_sandbox(s, (*words)[1]);
    }
  } else if (first == ":help") {
    s.inv.io.out << "use ID | cd DIR | LINE (runs in the sandbox) | :VERB ARGS (hivectl VERB) | "
                    ":spawn ARGS (and use it) | :exit\n";
    s.last_exit = kExitOk;
  } else if (first[0] == ':') {
    words->front() = first.substr(1);
    if (words->front() == "spawn") {
      words->insert(words->end(), {"-o", "name"});
      std::ostringstream id;
      s.last_exit = run_verb(s, *words, id);
      if (s.last_exit == 0) use_sandbox(s, id.str().substr(0, id.str().find('\n')));
      s.inv.io.out << id.str();
    } else {
      s.last_exit = run_verb(s, repl_command(*words, s.current), s.inv.io.out);
      if (words->front() == "deprovision" && words->size() == 1 && s.last_exit == 0)
        s.current.clear();
    }
  } else if (s.current.empty()) {
    usage_error(s, "no sandbox in use: 'use ID' or ':spawn' first (:help)");
  } else if (first == "cd") {
    change_directory(s, *words);
  } else {
    s.last_exit = s.terminal ? run_line_on_terminal(s, line) : run_line(s, line);
  }
  return true;
}

// Tab: the words of the line so far through `hivectl __complete`; ":verb" completes as
// hivectl's verbs, "use" as live sandbox ids.
char* next_match(const char* text, int state) {
  static std::vector<std::string> matches;
  static std::size_t index = 0;
  if (state == 0) {
    matches.clear();
    index = 0;
    std::string before(rl_line_buffer, static_cast<std::size_t>(rl_point));
    auto words = split_words(before);
    std::vector<std::string> args = words ? *words : std::vector<std::string>{};
    if (before.empty() || before.back() == ' ') args.emplace_back();
    bool colon = !args.empty() && !args[0].empty() && args[0][0] == ':';
    if (colon) args[0].erase(0, 1);
    if (!args.empty() && args[0] == "use" && args.size() == 2) args = {"get", args[1]};
    if (colon || args.size() >= 2) {
      args.insert(args.begin(), "__complete");
      std::ostringstream out;
      run_verb(*g_session, args, out);
      std::istringstream lines(out.str());
      for (std::string m; std::getline(lines, m);)
        matches.push_back((colon && args.size() == 2 ? ":" : "") + m);
    } else {
      for (const char* m :
           {":spawn", ":list", ":mcp", ":cp", ":ps", ":logs", ":describe", ":exit", "use", "cd"}) {
        if (std::string(m).rfind(text, 0) == 0) matches.emplace_back(m);
      }
    }
  }
  while (index < matches.size()) {
    const std::string& m = matches[index++];
    if (m.rfind(text, 0) == 0) return strdup(m.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;  // no file names: these are remote
  return rl_completion_matches(text, next_match);
}

int run_shell(Invocation& inv, const std::string& id) {
  Session session{inv};
  g_session = &session;
  // A sandbox asked for that cannot be used (not found, the server down) ends it at once.
  if (!id.empty()) use_sandbox(session, id);
  if (session.last_exit != 0) return session.last_exit;
  const bool terminal = isatty(STDIN_FILENO) && &inv.io.in == &std::cin;
  session.terminal = terminal && isatty(STDOUT_FILENO);
  if (!terminal) {  // a script: lines in, no prompt
    for (std::string line; std::getline(inv.io.in, line);) {
      if (!handle(session, line)) break;
    }
    return session.last_exit;
  }
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigaction(SIGINT, &action, nullptr);  // Ctrl-C: the command, never the shell
  rl_attempted_completion_function = complete;
  const std::string history = history_path();
  std::filesystem::create_directories(std::filesystem::path(history).parent_path());
  read_history(history.c_str());
  for (;;) {
    std::string prompt =
        "hive" + (session.current.empty() ? "" : ":" + session.current) +
        (session.last_exit != 0 ? " [" + std::to_string(session.last_exit) + "]" : "") + "> ";
    g_interrupted = false;
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) {
      if (g_interrupted.exchange(false)) {  // Ctrl-C at the prompt: a fresh line
        inv.io.out << "^C\n" << std::flush;
        continue;
      }
      inv.io.out << "\n";
      break;  // Ctrl-D
    }
    std::string line(raw);
    std::free(raw);
    if (!line.empty()) {
      add_history(line.c_str());
      write_history(history.c_str());
    }
    const bool go_on = handle(session, line);
    inv.io.out << std::flush;  // a verb's output before libedit writes the next prompt
    if (!go_on) break;
  }
  return session.last_exit;
}

}  // namespace

void add_shell(CLI::App& app, Invocation& inv) {
  auto id = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("shell", "An interactive shell: run lines in a sandbox, verbs with ':'");
  cmd->footer(R"(In the shell:
  use ID             plain lines now run in this sandbox (sh -c, in the directory cd set)
  cd DIR             where plain lines run
  ls -la             any other line runs in the sandbox; Ctrl-C interrupts it
  :spawn [FLAGS]     spawn a sandbox and use it
  :list  :ps  :describe  :mcp tools  :mcp call TOOL --arg k=v  :cp f :/workspace/f
                     any hivectl verb; the sandbox in use is filled in (':' paths are in it)
  :exit              or Ctrl-D
At a terminal each line runs on a terminal of its own (TERM passed on), so python3, vi and
clear work; each line is its own sh, so variables do not carry to the next line. History is
kept in ~/.hive/history; Tab completes verbs, flags and sandbox ids. With stdin not a
terminal, lines are read and run: printf 'use ID\nmake test\n' | hivectl shell. The shell
exits with the last line's status, a mistake of its own (an unknown sandbox, no sandbox in
use) included.

Examples:
  hivectl shell
  hivectl shell sb-4k7q2m9x)");
  cmd->add_option("ID", *id, "the sandbox to use from the start");
  cmd->callback([&inv, id] { inv.run = [&inv, id] { return run_shell(inv, *id); }; });
}

}  // namespace hive::cli
