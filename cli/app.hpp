// What every hivectl verb shares: global flags, the client they resolve to, the IO streams
// (injected so tests can drive a verb with buffers), and the exit-code rules.
#pragma once

#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "hive/error.hpp"
#include "hive/sandbox/client.hpp"

namespace hive::cli {

// Exit codes, documented in the README and `hivectl --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;       // the server refused or failed the call
inline constexpr int kExitUsage = 2;       // bad flags or arguments
inline constexpr int kExitNoServer = 3;    // the server could not be reached
inline constexpr int kExitToolError = 4;   // mcp call: the tool's result has isError
inline constexpr int kExitExecHive = 125;  // exec: Hive failed before the command ran

enum class OutputFormat { Table, Wide, Json, Yaml, Name, JsonPath };

struct PrintOptions {
  OutputFormat format = OutputFormat::Table;
  bool headers = true;   // --no-headers turns them off
  bool labels = false;   // --show-labels adds a LABELS column
  std::string jsonpath;  // -o jsonpath=TEMPLATE
  std::string sort_by;   // --sort-by PATH: lists in the order of that field
  // JSON and YAML print whole resources; the rest print what a person or a pipe reads.
  bool structured() const {
    return format == OutputFormat::Json || format == OutputFormat::Yaml ||
           format == OutputFormat::JsonPath;
  }
};

inline constexpr const char* kDefaultServer = "http://127.0.0.1:7070";
// --request-timeout's default for calls the server answers at once, and for those it holds
// until something is done (spawn until Running, on kubernetes an image pull of minutes).
inline constexpr std::chrono::seconds kDefaultRequestTimeout{60};
inline constexpr std::chrono::minutes kDefaultWaitingTimeout{5};

struct GlobalOptions {
  std::string server, token;  // --server, --token; else HIVE_SERVER, HIVE_TOKEN; else context
  std::string context;        // --context: instead of the config's current-context
  std::string hiveconfig;     // --hiveconfig: this file instead of HIVECONFIG/~/.hive/config
  std::string output = "table";
  bool no_headers = false;
  bool show_labels = false;
  std::string sort_by;
  std::string request_timeout;  // --request-timeout: "" for the defaults above
};

struct Io {
  std::istream& in = std::cin;
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
};

// The state of one hivectl invocation; a verb's callback stores its action in `run`.
struct Invocation {
  GlobalOptions global;
  Io io;
  std::vector<std::string> after_dashes;  // argv after the first "--"
  bool saw_dashes = false;
  std::function<int()> run;

  // Resolves flags and environment into a client (the token may come from the local server).
  sandbox::Client client() const;
  // Flags, then HIVE_SERVER/HIVE_TOKEN, then the context, then the local server's defaults.
  sandbox::ClientOptions client_options() const;
  // The config files in effect: --hiveconfig, else HIVECONFIG's list, else ~/.hive/config.
  std::vector<std::string> config_paths() const;
  OutputFormat format() const;
  PrintOptions print_options() const;
  // Prints "hivectl: <message>" and returns the exit code for the error.
  int fail(const Error& error) const;
};

int exit_code_for(const Error& error);

void add_spawn(CLI::App& app, Invocation& inv);
void add_list(CLI::App& app, Invocation& inv);
void add_get(CLI::App& app, Invocation& inv);
void add_exec(CLI::App& app, Invocation& inv);
void add_cp(CLI::App& app, Invocation& inv);
void add_attach(CLI::App& app, Invocation& inv);
void add_ps(CLI::App& app, Invocation& inv);
void add_logs(CLI::App& app, Invocation& inv);
void add_kill(CLI::App& app, Invocation& inv);
void add_deprovision(CLI::App& app, Invocation& inv);
void add_version(CLI::App& app, Invocation& inv);
void add_keepalive(CLI::App& app, Invocation& inv);
void add_wait(CLI::App& app, Invocation& inv);
void add_describe(CLI::App& app, Invocation& inv);
void add_mcp(CLI::App& app, Invocation& inv);  // mcp tools, mcp call
void add_config(CLI::App& app, Invocation& inv);
void add_completion(CLI::App& app, Invocation& inv);  // completion bash|zsh|fish
void add_shell(CLI::App& app, Invocation& inv);       // the REPL
void add_image(CLI::App& app, Invocation& inv);       // image pull, ls, inspect, rm, prune
// Every flag and verb of hivectl on `app`.
void build_app(CLI::App& app, Invocation& inv);
// `hivectl __complete WORD...`: what may stand in place of the last word, one a line.
int run_complete(CLI::App& app, Invocation& inv,
                 std::vector<std::string> words);  // config view, get-contexts, use-context...
// The usage error for an exec whose command does not follow "--".
int exec_missing_dashes(const Invocation& inv);

// Parses argv and runs the chosen verb; returns the process exit code.
int run_hivectl(int argc, char** argv, Io io);

}  // namespace hive::cli
