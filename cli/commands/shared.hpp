// What more than one verb uses: an interactive session (exec -it and attach) and a watch
// stream printed as it comes (list -w and get -w).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace hive::cli {

// The sandboxes a verb acts on: ids (or names) given, or those -l SELECTOR matches.
struct Targets {
  std::vector<std::string> ids;
  std::string selector;
};

// Adds the ID... positional and -l/--selector to a verb.
void add_targets(CLI::App& cmd, Targets& targets);

// The usage error when not exactly one of ids and -l is given ("hivectl get: give sandbox ids
// or -l SELECTOR, not both"), as an exit code; nullopt when they are fine.
std::optional<int> check_targets(const Invocation& inv, const std::string& verb,
                                 const Targets& targets);

// The ids to act on: those given, or the ids of the sandboxes -l matches now; with
// Matching::Live, not those that ended (the tombstones a list shows for a while), which no
// keepalive or wait can change. A selector that matches none is an empty list, not an error:
// each verb says what that means.
enum class Matching { All, Live };
Result<std::vector<std::string>> target_ids(const Invocation& inv, const Targets& targets,
                                            Matching matching = Matching::All);

// A command that could not start exits as a shell's would (127 not found, 126 not runnable);
// any other failure is Hive's own, before the command ran (125).
int exec_failed(const Invocation& inv, const Error& error);

// An interactive session; returns the remote exit code (125 when Hive failed first, 126/127
// when the command could not be run / found).
int run_interactive(Invocation& inv, const std::string& id, sandbox::AttachOptions attach);

// Each watch event as it comes: a table row (the header once), an id, or with -o json / yaml /
// jsonpath the event itself. `only`, when given, keeps the sandboxes with those ids or names.
int run_watch(Invocation& inv, const sandbox::ListOptions& options,
              const std::vector<std::string>& only = {});

// A pull's progress on stderr (image pull, and a spawn that pulls first): per layer, redrawn
// in place at a terminal, one plain line per change otherwise.
sandbox::Client::OnPullEvent pull_display(Invocation& inv);

}  // namespace hive::cli
