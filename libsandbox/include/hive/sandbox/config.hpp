// Client configuration, kubectl-style (~/.hive/config, YAML): servers, users, contexts and the
// current context. HIVECONFIG may name several files (':'-separated), merged as kubectl merges
// KUBECONFIG: the first file to define a name wins, and the first current-context set wins.
//
//   current-context: local
//   servers:  [{name: local, url: "http://127.0.0.1:7070"}]
//   users:    [{name: local, token-file: /var/lib/hive/token}]   # or token: ...
//   contexts: [{name: local, server: local, user: local}]
#pragma once

#include <string>
#include <vector>

#include "hive/error.hpp"

namespace hive::sandbox {

struct ConfigServer {
  std::string name, url;
};
struct ConfigUser {
  std::string name, token, token_file;
};
struct ConfigContext {
  std::string name, server, user;
};

struct Config {
  std::string current_context;
  std::vector<ConfigServer> servers;
  std::vector<ConfigUser> users;
  std::vector<ConfigContext> contexts;

  const ConfigServer* server(const std::string& name) const;
  const ConfigUser* user(const std::string& name) const;
  const ConfigContext* context(const std::string& name) const;
  // Adds or replaces by name.
  void put(ConfigServer server);
  void put(ConfigUser user);
  void put(ConfigContext context);
};

// The files to read: HIVECONFIG's (':'-separated, empty parts skipped), else
// $HOME/.hive/config. The first is where changes are written.
std::vector<std::string> config_paths(const char* hiveconfig, const char* home);

// A missing file is an empty config; a malformed one is an error naming the file.
Result<Config> load_config(const std::string& path);
Result<Config> load_configs(const std::vector<std::string>& paths);  // merged
Config merge_configs(const std::vector<Config>& configs);
std::string config_to_yaml(const Config& config, bool redact_tokens = false);
// Written aside and renamed; the directory is made 0700 and the file 0600 (it holds tokens).
Result<void> save_config(const std::string& path, const Config& config);

// Where a context points: its server's URL and its user's token (token-file read now).
struct ContextTarget {
  std::string server, token;
};
Result<ContextTarget> resolve_context(const Config& config, const std::string& name);

}  // namespace hive::sandbox
