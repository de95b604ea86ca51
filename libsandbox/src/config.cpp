#include "hive/sandbox/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace hive::sandbox {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& i) { return i.name == name; });
  return it == items.end() ? nullptr : &*it;
}

template <typename T>
void put_named(std::vector<T>& items, T item) {
  auto it =
      std::find_if(items.begin(), items.end(), [&](const T& i) { return i.name == item.name; });
  if (it == items.end()) {
    items.push_back(std::move(item));
  } else {
    *it = std::move(item);
  }
}

// Appends the entries whose names are not there yet (the first definition wins).
template <typename T>
void merge_named(std::vector<T>& into, const std::vector<T>& from) {
  for (const auto& item : from) {
    if (!find_named(into, item.name)) into.push_back(item);
  }
}

std::string text(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

Result<Config> parse(const YAML::Node& root, const std::string& path) {
  Config config;
  if (!root || root.IsNull()) return config;
  const auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, "hive config " + path + ": " + why);
  };
  if (!root.IsMap()) return bad("expected a mapping at the top");
  config.current_context = text(root, "current-context");
  for (const char* list : {"servers", "users", "contexts"}) {
    const YAML::Node items = root[list];
    if (!items) continue;
    if (!items.IsSequence()) return bad(std::string("'") + list + "' must be a list");
    for (const auto& item : items) {
      if (!item.IsMap() || text(item, "name").empty()) {
        return bad(std::string("every entry of '") + list + "' needs a name");
      }
      const std::string name = text(item, "name");
      if (std::string_view(list) == "servers") {
        if (text(item, "url").empty()) return bad("server '" + name + "' has no url");
        config.servers.push_back({name, text(item, "url")});
      } else if (std::string_view(list) == "users") {
        config.users.push_back({name, text(item, "token"), text(item, "token-file")});
      } else {
        config.contexts.push_back({name, text(item, "server"), text(item, "user")});
      }
    }
  }
  return config;
}

}  // namespace

const ConfigServer* Config::server(const std::string& name) const {
  return find_named(servers, name);
}
const ConfigUser* Config::user(const std::string& name) const { return find_named(users, name); }
const ConfigContext* Config::context(const std::string& name) const {
  return find_named(contexts, name);
}
void Config::put(ConfigServer server) { put_named(servers, std::move(server)); }
void Config::put(ConfigUser user) { put_named(users, std::move(user)); }
void Config::put(ConfigContext context) { put_named(contexts, std::move(context)); }

std::vector<std::string> config_paths(const char* hiveconfig, const char* home) {
  std::vector<std::string> paths;
  if (hiveconfig != nullptr && *hiveconfig != '\0') {
    std::stringstream list(hiveconfig);
    for (std::string part; std::getline(list, part, ':');) {
      if (!part.empty()) paths.push_back(part);
    }
  }
  if (paths.empty())
    paths.push_back(std::string(home != nullptr ? home : "/root") + "/.hive/config");
  return paths;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Config{};
  try {
    return parse(YAML::Load(file), path);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, "hive config " + path + ": " + e.what());
  }
}

Result<Config> load_configs(const std::vector<std::string>& paths) {
  std::vector<Config> configs;
  for (const auto& path : paths) {
    auto config = load_config(path);
    if (!config) return config.error();
    configs.push_back(std::move(*config));
  }
  return merge_configs(configs);
}

Config merge_configs(const std::vector<Config>& configs) {
  Config merged;
  for (const auto& config : configs) {
    if (merged.current_context.empty()) merged.current_context = config.current_context;
    merge_named(merged.servers, config.servers);
    merge_named(merged.users, config.users);
    merge_named(merged.contexts, config.contexts);
  }
  return merged;
}

std::string config_to_yaml(const Config& config, bool redact_tokens) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "current-context" << YAML::Value << config.current_context;
  out << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : config.servers) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name << YAML::Key << "url"
        << YAML::Value << s.url << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
  for (const auto& u : config.users) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << u.name;
    if (!u.token.empty()) {
      out << YAML::Key << "token" << YAML::Value << (redact_tokens ? "REDACTED" : u.token);
    }
    if (!u.token_file.empty()) out << YAML::Key << "token-file" << YAML::Value << u.token_file;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : config.contexts) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name << YAML::Key << "server"
        << YAML::Value << c.server << YAML::Key << "user" << YAML::Value << c.user << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<void> save_config(const std::string& path, const Config& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir)) {
    fs::create_directories(dir, ec);
    if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream file(temp, std::ios::trunc);
    if (!file) return make_error(Errc::internal, "cannot write " + temp);
    chmod(temp.c_str(), 0600);
    file << config_to_yaml(config);
    if (!file) return make_error(Errc::internal, "cannot write " + temp);
  }
  fs::rename(temp, path, ec);
  if (ec) return make_error(Errc::internal, "cannot write " + path + ": " + ec.message());
  return {};
}

Result<ContextTarget> resolve_context(const Config& config, const std::string& name) {
  const ConfigContext* context = config.context(name);
  if (context == nullptr) {
    return make_error(Errc::invalid_argument, "no context '" + name + "' in the hive config");
  }
  const ConfigServer* server = config.server(context->server);
  if (server == nullptr) {
    return make_error(Errc::invalid_argument, "context '" + name + "' names server '" +
                                                  context->server + "', which is not defined");
  }
  ContextTarget target{server->url, ""};
  if (const ConfigUser* user = config.user(context->user)) {
    target.token = user->token;
    if (target.token.empty() && !user->token_file.empty()) {
      std::ifstream file(user->token_file);
      if (!(file >> target.token)) {
        return make_error(Errc::invalid_argument,
                          "context '" + name + "': cannot read token file " + user->token_file);
      }
    }
  } else if (!context->user.empty()) {
    return make_error(Errc::invalid_argument, "context '" + name + "' names user '" +
                                                  context->user + "', which is not defined");
  }
  return target;
}

}  // namespace hive::sandbox
