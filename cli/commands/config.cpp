// hivectl config: the client configuration, as kubectl config does it (view, get-contexts,
// current-context, use-context, set-context). Changes go to the first config file.
#include "hive/sandbox/config.hpp"
#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

struct ConfigOptions {
  std::string name, server, token, token_file;
  bool raw = false;
};

int run_set_context(Invocation& inv, const ConfigOptions& o) {
  const std::string path = inv.config_paths().front();
  auto config = sandbox::load_config(path);
  if (!config) return inv.fail(config.error());
  sandbox::ConfigContext context{o.name, o.name, o.name};
  if (const auto* existing = config->context(o.name)) context = *existing;
  if (!o.server.empty()) {
    config->put(sandbox::ConfigServer{context.server, o.server});
  } else if (!config->server(context.server)) {
    inv.io.err << "hivectl: context '" << o.name << "' is new: give --server URL\n";
    return kExitUsage;
  }
  if (!o.token.empty() || !o.token_file.empty()) {
    config->put(sandbox::ConfigUser{context.user, o.token, o.token_file});
  }
  config->put(context);
  if (config->current_context.empty()) config->current_context = o.name;
  if (auto saved = sandbox::save_config(path, *config); !saved) return inv.fail(saved.error());
  inv.io.out << "Context \"" << o.name << "\" set in " << path << ".\n";
  return kExitOk;
}

int run_use_context(Invocation& inv, const std::string& name) {
  auto merged = sandbox::load_configs(inv.config_paths());
  if (!merged) return inv.fail(merged.error());
  if (!merged->context(name)) {
    inv.io.err << "hivectl: no context named '" << name << "' (hivectl config get-contexts)\n";
    return kExitError;
  }
  const std::string path = inv.config_paths().front();
  auto config = sandbox::load_config(path);
  if (!config) return inv.fail(config.error());
  config->current_context = name;
  if (auto saved = sandbox::save_config(path, *config); !saved) return inv.fail(saved.error());
  inv.io.out << "Switched to context \"" << name << "\".\n";
  return kExitOk;
}

int run_get_contexts(Invocation& inv) {
  auto config = sandbox::load_configs(inv.config_paths());
  if (!config) return inv.fail(config.error());
  const std::string current =
      inv.global.context.empty() ? config->current_context : inv.global.context;
  if (inv.format() == OutputFormat::Name) {
    for (const auto& c : config->contexts) inv.io.out << c.name << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  if (!inv.global.no_headers) rows.push_back({"CURRENT", "NAME", "SERVER", "USER"});
  for (const auto& c : config->contexts) {
    const auto* server = config->server(c.server);
    rows.push_back(
        {c.name == current ? "*" : "", c.name, server ? server->url : "?" + c.server, c.user});
  }
  print_rows(inv.io.out, rows);
  return kExitOk;
}

}  // namespace

void add_config(CLI::App& app, Invocation& inv) {
  auto* config = app.add_subcommand("config", "Show or change the client configuration (contexts)");
  config->require_subcommand(1);
  config->footer(R"(The configuration is ~/.hive/config (YAML), or the files HIVECONFIG lists
(':'-separated; merged, the first file to define a name wins; changes go to the first), or
--hiveconfig FILE. A local hive-server adds a "local" context on its first start.

Examples:
  hivectl config get-contexts
  hivectl config set-context gpu-fleet --server https://hive.example:7070 --token-file ~/.hive/gpu
  hivectl config use-context gpu-fleet
  hivectl --context local list)");

  auto o = std::make_shared<ConfigOptions>();
  auto* view = config->add_subcommand("view", "Print the merged configuration (tokens hidden)");
  view->add_flag("--raw", o->raw, "show tokens");
  view->callback([&inv, o] {
    inv.run = [&inv, o] {
      auto merged = sandbox::load_configs(inv.config_paths());
      if (!merged) return inv.fail(merged.error());
      inv.io.out << sandbox::config_to_yaml(*merged, !o->raw);
      return kExitOk;
    };
  });
  config->add_subcommand("get-contexts", "List the contexts; * marks the current one")
      ->callback([&inv] { inv.run = [&inv] { return run_get_contexts(inv); }; });
  config->add_subcommand("current-context", "Print the current context's name")->callback([&inv] {
    inv.run = [&inv] {
      auto merged = sandbox::load_configs(inv.config_paths());
      if (!merged) return inv.fail(merged.error());
      if (merged->current_context.empty()) {
        inv.io.err << "hivectl: no current context is set\n";
        return kExitError;
      }
      inv.io.out << merged->current_context << "\n";
      return kExitOk;
    };
  });
  auto* use = config->add_subcommand("use-context", "Make a context the current one");
  use->add_option("NAME", o->name, "context name")->required();
  use->callback([&inv, o] { inv.run = [&inv, o] { return run_use_context(inv, o->name); }; });
  auto* set =
      config->add_subcommand("set-context", "Add or change a context (and its server and user)");
  set->add_option("NAME", o->name, "context name")->required();
  set->add_option("--server", o->server, "hive-server URL");
  set->add_option("--token", o->token, "bearer token (stored in the file, 0600)");
  set->add_option("--token-file", o->token_file, "a file holding the token, read at each use");
  set->callback([&inv, o] { inv.run = [&inv, o] { return run_set_context(inv, *o); }; });
}

}  // namespace hive::cli
