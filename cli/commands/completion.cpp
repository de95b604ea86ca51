// hivectl completion bash|zsh|fish, and the hidden `__complete` the scripts call: verbs,
// flags, -o formats, contexts and live sandbox ids, by where the cursor is.
#include <fstream>
#include <set>
#include <sstream>

#include "app.hpp"
#include "completion_scripts.hpp"
#include "hive/sandbox/config.hpp"

namespace hive::cli {
namespace {

bool expects_value(const CLI::Option* option) { return option->get_type_size() != 0; }

CLI::App* find_subcommand(CLI::App* app, const std::string& word) {
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

const CLI::Option* find_option(CLI::App* app, const std::string& word) {
  for (CLI::App* at = app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (!option->get_positional() && option->check_name(word)) return option;
    }
  }
  return nullptr;
}

std::vector<std::string> flag_names(CLI::App* app) {
  std::vector<std::string> out;
  for (CLI::App* at = app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (option->get_positional()) continue;
      for (const auto& name : option->get_lnames()) out.push_back("--" + name);
      for (const auto& name : option->get_snames()) out.push_back("-" + name);
    }
  }
  return out;
}

std::vector<std::string> context_names(const Invocation& inv) {
  std::vector<std::string> out;
  if (auto config = sandbox::load_configs(inv.config_paths())) {
    for (const auto& context : config->contexts) out.push_back(context.name);
  }
  return out;
}

std::vector<std::string> live_sandboxes(const Invocation& inv) {
  auto options = inv.client_options();
  options.connect_timeout = std::chrono::milliseconds(1000);  // a shell must not hang
  options.request_timeout = std::chrono::milliseconds(2000);
  std::vector<std::string> out;
  if (auto listed = sandbox::Client(options).list()) {
    for (const auto& sb : *listed) {
      if (sb.state == sandbox::State::Terminated) continue;
      out.push_back(sb.id);
      if (!sb.spec.name.empty()) out.push_back(sb.spec.name);
    }
  }
  return out;
}

// What may stand in for the value of `option`.
std::vector<std::string> option_values(const Invocation& inv, const CLI::Option* option) {
  if (option->check_name("--output")) return {"table", "wide", "json", "yaml", "name", "jsonpath="};
  if (option->check_name("--context")) return context_names(inv);
  if (option->check_name("--network")) return {"none", "host", "egress"};
  return {};
}

}  // namespace

int run_complete(CLI::App& app, Invocation& inv, std::vector<std::string> words) {
  if (words.empty()) words.emplace_back();
  const std::string current = words.back();
  words.pop_back();
  // Walk what is typed: the verb (and sub-verb), flags with their values, positionals.
  CLI::App* at = &app;
  std::size_t positionals = 0;
  const CLI::Option* pending = nullptr;  // a flag whose value comes next
  for (const auto& word : words) {
    if (pending != nullptr) {
      pending = nullptr;
    } else if (word == "--") {
      return kExitOk;  // the remote command's words: the shell's own completion
    } else if (!word.empty() && word[0] == '-') {
      const auto* option = find_option(at, word.substr(0, word.find('=')));
      if (option != nullptr && expects_value(option) && word.find('=') == std::string::npos) {
        pending = option;
      }
    } else if (CLI::App* sub = find_subcommand(at, word); sub != nullptr && positionals == 0) {
      at = sub;
    } else {
      ++positionals;
    }
  }
  std::vector<std::string> candidates;
  if (pending != nullptr) {
    candidates = option_values(inv, pending);
  } else if (!current.empty() && current[0] == '-') {
    candidates = flag_names(at);
  } else if (!at->get_subcommands([](CLI::App* sub) {
                  return !sub->get_group().empty();
                }).empty()) {
    for (CLI::App* sub : at->get_subcommands([](CLI::App* s) { return !s->get_group().empty(); })) {
      candidates.push_back(sub->get_name());
    }
  } else {
    std::vector<const CLI::Option*> slots;
    for (const CLI::Option* option : at->get_options()) {
      if (option->get_positional()) slots.push_back(option);
    }
    if (positionals < slots.size() ||
        (!slots.empty() && slots.back()->get_items_expected_max() > 1)) {
      const std::string slot = slots[std::min(positionals, slots.size() - 1)]->get_name();
      if (slot == "ID" || slot == "IDS") candidates = live_sandboxes(inv);
      if (slot == "NAME" && at->get_name() == "use-context") candidates = context_names(inv);
    }
  }
  std::set<std::string> seen;  // --help stands on every level
  for (const auto& candidate : candidates) {
    if (candidate.rfind(current, 0) == 0 && seen.insert(candidate).second) {
      inv.io.out << candidate << "\n";
    }
  }
  return kExitOk;
}

void add_completion(CLI::App& app, Invocation& inv) {
  auto shell = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("completion", "Print the shell completion script (bash, zsh, fish)");
  cmd->footer(R"(Completes verbs, flags, -o formats, contexts and live sandbox ids.

Examples:
  source <(hivectl completion bash)                      # in ~/.bashrc
  hivectl completion zsh > "${fpath[1]}/_hivectl"         # then restart zsh
  hivectl completion fish > ~/.config/fish/completions/hivectl.fish)");
  cmd->add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->callback([&inv, shell] {
    inv.run = [&inv, shell] {
      inv.io.out << (*shell == "bash"  ? kBashCompletion
                     : *shell == "zsh" ? kZshCompletion
                                       : kFishCompletion);
      return kExitOk;
    };
  });
}

}  // namespace hive::cli
