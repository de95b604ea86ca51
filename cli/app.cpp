#include "app.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "duration.hpp"
#include "hive/sandbox/config.hpp"
#include "printers/jsonpath.hpp"
#include "usage_error.hpp"

namespace hive::cli {
namespace {

// A local hive-server keeps its admin token here (the default --state-dir); reading it lets
// root on the server's machine use hivectl with no set-up.
constexpr const char* kLocalTokenPath = "/var/lib/hive/token";

constexpr const char* kExitCodesHelp = R"(Exit codes:
  0    success
  1    the server refused or failed the request (not found, conflict, invalid spec, auth)
  2    usage error
  3    the server could not be reached
  exec: the command's own exit code (128+N if killed by signal N); 125 if Hive failed
        before the command ran; 126/127 if the command could not be started / found
  mcp call: 4 if the tool reported an error (isError)

Where to connect: --server/--token, else HIVE_SERVER/HIVE_TOKEN, else the current context of
~/.hive/config (or HIVECONFIG's files; see hivectl config), else http://127.0.0.1:7070 with
the local server's token.)";

std::string local_token() {
  std::ifstream in(kLocalTokenPath);
  std::string token;
  in >> token;
  return token;
}

}  // namespace

std::vector<std::string> Invocation::config_paths() const {
  if (!global.hiveconfig.empty()) return {global.hiveconfig};
  return sandbox::config_paths(std::getenv("HIVECONFIG"), std::getenv("HOME"));
}

sandbox::ClientOptions Invocation::client_options() const {
  const char* env_server = std::getenv("HIVE_SERVER");
  const char* env_token = std::getenv("HIVE_TOKEN");
  std::string server = env_server != nullptr ? env_server : "";
  std::string token = env_token != nullptr ? env_token : "";
  // A context: the one --context names (it beats the environment), or the config's current
  // one when the environment names no server.
  if (!global.context.empty() || server.empty()) {
    auto config = sandbox::load_configs(config_paths());
    std::string name = global.context;
    if (name.empty() && config) name = config->current_context;
    if (config && !name.empty()) {
      if (auto target = sandbox::resolve_context(*config, name)) {
        server = target->server;
        if (!global.context.empty() || token.empty()) token = target->token;
      }
    }
  }
  sandbox::ClientOptions options;
  options.server = !global.server.empty() ? global.server
                   : !server.empty()      ? server
                                          : kDefaultServer;
  options.token = !global.token.empty() ? global.token : !token.empty() ? token : local_token();
  options.request_timeout = kDefaultRequestTimeout;
  options.waiting_request_timeout = kDefaultWaitingTimeout;
  if (!global.request_timeout.empty()) {  // checked when parsed: one value for every call
    auto given = parse_duration(global.request_timeout, "--request-timeout");
    if (given) options.request_timeout = options.waiting_request_timeout = *given;
  }
  return options;
}

sandbox::Client Invocation::client() const { return sandbox::Client(client_options()); }

OutputFormat Invocation::format() const {
  if (global.output == "json") return OutputFormat::Json;
  if (global.output == "yaml") return OutputFormat::Yaml;
  if (global.output == "name") return OutputFormat::Name;
  if (global.output == "wide") return OutputFormat::Wide;
  if (global.output.rfind("jsonpath=", 0) == 0) return OutputFormat::JsonPath;
  return OutputFormat::Table;
}

PrintOptions Invocation::print_options() const {
  PrintOptions options{format(), !global.no_headers, global.show_labels};
  if (options.format == OutputFormat::JsonPath) options.jsonpath = global.output.substr(9);
  options.sort_by = global.sort_by;
  return options;
}

int exit_code_for(const Error& error) {
  switch (error.code) {
    case Errc::transport:
      return kExitNoServer;
    default:
      return kExitError;
  }
}

int Invocation::fail(const Error& error) const {
  io.err << "hivectl: " << error.message;
  if (error.code == Errc::unauthorized && global.token.empty()) {
    io.err << " (no token given: pass --token or set HIVE_TOKEN; a local server writes it to "
              "STATE_DIR/token)";
  }
  // The next step, where there is an obvious one.
  if (error.code == Errc::transport &&
      error.message.find(" did not answer within ") != std::string::npos) {
    io.err << " (--request-timeout)";
  } else if (error.code == Errc::transport && error.message.rfind("cannot reach", 0) == 0) {
    io.err << " (is hive-server running there? --server, HIVE_SERVER or the context say where)";
  } else if (error.code == Errc::not_found && error.message.rfind("sandbox ", 0) == 0) {
    io.err << " (hivectl list shows the sandboxes there are)";
  }
  io.err << "\n";
  return exit_code_for(error);
}

void build_app(CLI::App& app, Invocation& inv) {
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the verb, as in kubectl
  app.add_option("--server", inv.global.server,
                 "hive-server URL (else HIVE_SERVER, the context's, http://127.0.0.1:7070)");
  app.add_option("--token", inv.global.token, "bearer token (else HIVE_TOKEN, the context's)");
  app.add_option("--context", inv.global.context, "the config context to use");
  app.add_option("--hiveconfig", inv.global.hiveconfig,
                 "the config file (else HIVECONFIG's files, else ~/.hive/config)");
  app.add_option("-o,--output", inv.global.output,
                 "output format: table, wide, json, yaml, name, jsonpath=TEMPLATE")
      ->type_name("FORMAT")
      ->check([](const std::string& value) -> std::string {
        for (const char* name : {"table", "wide", "json", "yaml", "name"}) {
          if (value == name) return "";
        }
        if (value.rfind("jsonpath=", 0) == 0) {
          auto checked = check_jsonpath(value.substr(9));
          return checked ? "" : checked.error().message;
        }
        return "'" + value + "' is not one of table, wide, json, yaml, name, jsonpath=TEMPLATE";
      })
      ->capture_default_str();
  app.add_option("--sort-by", inv.global.sort_by,
                 "list in the order of this field, a JSONPath: .created_at, .labels.run")
      ->check([](const std::string& value) -> std::string {
        auto checked = select_jsonpath(value, sandbox::Json::object());
        return checked ? "" : checked.error().message;
      });
  app.add_option("--request-timeout", inv.global.request_timeout,
                 "a call's time limit, 30s, 1m, 0 for none (default 60s; 5m for spawn and "
                 "deprovision; none for streams: exec, logs -f, -w, cp)")
      ->type_name("DURATION")
      ->check([](const std::string& value) -> std::string {
        auto parsed = parse_duration(value, "");
        return parsed ? "" : parsed.error().message;
      });
  app.set_version_flag("--version", std::string("Client Version: ") + HIVE_VERSION,
                       "print the client's version (hivectl version: the server's too)");
  app.add_flag("--no-headers", inv.global.no_headers, "tables without their header line");
  app.add_flag("--show-labels", inv.global.show_labels, "tables with a LABELS column");
  add_spawn(app, inv);
  add_list(app, inv);
  add_get(app, inv);
  add_describe(app, inv);
  add_exec(app, inv);
  add_attach(app, inv);
  add_cp(app, inv);
  add_ps(app, inv);
  add_logs(app, inv);
  add_kill(app, inv);
  add_deprovision(app, inv);
  add_keepalive(app, inv);
  add_wait(app, inv);
  add_version(app, inv);
  add_mcp(app, inv);
  add_config(app, inv);
  add_completion(app, inv);
  add_shell(app, inv);
  add_image(app, inv);

  // --help lists verbs by what they are for, as kubectl does.
  for (const auto& [group, verbs] : std::vector<std::pair<const char*, std::vector<const char*>>>{
           {"Sandboxes", {"spawn", "list", "get", "describe", "deprovision"}},
           {"Inside a sandbox", {"exec", "attach", "cp", "ps", "logs", "kill", "mcp"}},
           {"Lifecycle", {"keepalive", "wait"}},
           {"Other", {"shell", "config", "completion", "version"}}}) {
    for (const char* verb : verbs) app.get_subcommand(verb)->group(group);
  }
}

int run_hivectl(int argc, char** argv, Io io) {
  Invocation inv{.io = io};
  CLI::App app{"hivectl: run and manage Hive sandboxes", "hivectl"};
  build_app(app, inv);
  std::vector<char*> ours(argv, argv + argc);
  // The shells' completion scripts ask here what may come next (hidden from --help); they
  // need every word as typed, "--" included.
  if (ours.size() >= 2 && std::string_view(ours[1]) == "__complete") {
    return run_complete(app, inv, {ours.begin() + 2, ours.end()});
  }
  // For exec, everything after "--" is the remote command, never flags of ours. Any other
  // verb gives "--" to CLI11, where it ends the flags (hivectl cp -- -file ID:/x).
  if (verb_of(app, ours) == "exec") {
    auto dashes = std::find_if(ours.begin() + 1, ours.end(),
                               [](const char* word) { return std::string_view(word) == "--"; });
    if (dashes != ours.end()) {
      inv.saw_dashes = true;
      inv.after_dashes.assign(dashes + 1, ours.end());
      ours.erase(dashes, ours.end());
    }
  }

  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::CallForHelp& e) {
    io.out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    io.out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // "hivectl exec ID ls -la" fails on "-la"; the real mistake is the missing "--".
    bool in_exec = app.get_subcommand("exec")->parsed();
    if (in_exec && !inv.saw_dashes) return exec_missing_dashes(inv);
    const int code = report_usage_error(app, e, io);
    return in_exec ? kExitExecHive : code;
  }
  if (!inv.global.context.empty()) {  // a named context must exist, or nothing runs
    auto config = sandbox::load_configs(inv.config_paths());
    auto target = config ? sandbox::resolve_context(*config, inv.global.context)
                         : Result<sandbox::ContextTarget>(config.error());
    if (!target) {
      io.err << "hivectl: --context " << inv.global.context << ": " << target.error().message
             << "\n";
      return kExitUsage;
    }
  }
  return inv.run ? inv.run() : kExitUsage;
}

}  // namespace hive::cli
