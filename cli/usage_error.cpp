#include "usage_error.hpp"

#include <algorithm>
#include <map>

#include "suggest.hpp"

namespace hive::cli {
namespace {

// Words a kubectl or docker user types for one of ours that no edit distance would find.
const std::map<std::string, std::vector<std::string>>& other_tools_words() {
  static const std::map<std::string, std::vector<std::string>> words{
      {"run", {"spawn", "exec"}},    {"create", {"spawn"}},     {"start", {"spawn"}},
      {"show", {"get", "describe"}}, {"inspect", {"describe"}}, {"remove", {"deprovision"}},
      {"destroy", {"deprovision"}}};
  return words;
}

CLI::App* deepest_parsed(CLI::App& app) {
  CLI::App* at = &app;
  for (auto parsed = at->get_subcommands(); !parsed.empty(); parsed = at->get_subcommands()) {
    at = parsed.back();
  }
  return at;
}

std::vector<CLI::App*> verbs_of(CLI::App* app) {
  return app->get_subcommands([](CLI::App*) { return true; });
}

std::vector<std::string> verb_names(CLI::App* app) {
  std::vector<std::string> names;
  for (CLI::App* sub : verbs_of(app)) {
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

// The flags a verb takes, its own and the global ones.
std::vector<std::string> flag_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::App* at = app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (option->get_positional()) continue;
      for (const auto& name : option->get_lnames()) out.push_back("--" + name);
      for (const auto& name : option->get_snames()) out.push_back("-" + name);
    }
  }
  return out;
}

std::vector<std::string> verb_suggestions(CLI::App* at, const std::string& typed) {
  auto found = suggestions(typed, verb_names(at));
  if (at->get_parent() == nullptr) {
    if (auto hint = other_tools_words().find(typed); hint != other_tools_words().end()) {
      for (const auto& verb : hint->second) {
        if (std::find(found.begin(), found.end(), verb) == found.end()) found.push_back(verb);
      }
    }
  }
  return found;
}

std::string usage_line(const CLI::App* at) {
  return "Run '" + command_path(at) + " --help' for usage.\n";
}

}  // namespace

std::string verb_of(CLI::App& app, const std::vector<char*>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string word = argv[i];
    if (word == "--") return "";
    if (word.size() > 1 && word[0] == '-') {
      const CLI::Option* option = app.get_option_no_throw(word.substr(0, word.find('=')));
      const bool value_next =
          option != nullptr && option->get_type_size() != 0 && word.find('=') == std::string::npos;
      if (value_next) ++i;
      continue;
    }
    for (CLI::App* sub : verbs_of(&app)) {
      if (sub->check_name(word)) return sub->get_name();
    }
    return word;
  }
  return "";
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* at = app; at != nullptr; at = at->get_parent()) {
    path = at->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

int report_usage_error(CLI::App& app, const CLI::ParseError& error, const Io& io) {
  CLI::App* at = deepest_parsed(app);
  const std::vector<std::string> leftover = app.remaining(true);
  auto is_flag = [](const std::string& word) {
    return word.size() > 1 && word[0] == '-' && word != "--";
  };
  const bool wants_verb = at->get_require_subcommand_min() > 0;
  // A verb we do not have: the flags after it are its, so they are not the mistake.
  const auto word = std::find_if_not(leftover.begin(), leftover.end(), is_flag);
  if (wants_verb && word != leftover.end()) {
    io.err << "hivectl: unknown command \"" << *word << "\" for \"" << command_path(at) << "\"\n"
           << did_you_mean(verb_suggestions(at, *word)) << usage_line(at);
    return kExitUsage;
  }
  // A flag no verb on the way knows; its value, if it had one, is among the leftovers too.
  if (const auto flag = std::find_if(leftover.begin(), leftover.end(), is_flag);
      flag != leftover.end()) {
    const std::string name = flag->substr(0, flag->find('='));
    io.err << "hivectl: unknown flag: " << name << "\n"
           << did_you_mean(suggestions(name, flag_names(at))) << usage_line(at);
    return kExitUsage;
  }
  if (wants_verb) {
    std::string verbs;
    for (CLI::App* sub : verbs_of(at)) verbs += (verbs.empty() ? "" : ", ") + sub->get_name();
    io.err << command_path(at) << ": no command given"
           << (at->get_parent() != nullptr ? " (" + verbs + ")" : "") << "\n"
           << usage_line(at);
    return kExitUsage;
  }
  if (!leftover.empty()) {
    io.err << "hivectl: unexpected argument \"" << leftover.front() << "\" for \""
           << command_path(at) << "\"\n"
           << usage_line(at);
    return kExitUsage;
  }
  // "--memory: 1 required TEXT missing" is CLI11's; cobra's words are plainer.
  const std::string what = error.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
      what.find(" required ") != std::string::npos && what.rfind("-", 0) == 0) {
    io.err << command_path(at) << ": flag needs a value: " << what.substr(0, what.find(':')) << "\n"
           << usage_line(at);
    return kExitUsage;
  }
  io.err << command_path(at) << ": " << what << "\n" << usage_line(at);
  return kExitUsage;
}

}  // namespace hive::cli
