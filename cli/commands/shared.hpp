// What more than one verb uses: an interactive session (exec -it and attach) and a watch
// stream printed as it comes (list -w and get -w).
#pragma once

#include <string>
#include <vector>

#include "app.hpp"

namespace hive::cli {

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

}  // namespace hive::cli
