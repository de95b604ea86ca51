// What more than one verb uses: an interactive session (exec -it and attach) and a watch
// stream printed as it comes (list -w and get -w).
#pragma once

#include <string>
#include <vector>

#include "app.hpp"

namespace hive::cli {

// An interactive session; returns the remote exit code (125 when Hive failed first).
int run_interactive(Invocation& inv, const std::string& id, sandbox::AttachOptions attach);

// Each watch event as it comes: a table row (the header once), an id, or with -o json / yaml /
// jsonpath the event itself. `only`, when given, keeps the sandboxes with those ids or names.
int run_watch(Invocation& inv, const sandbox::ListOptions& options,
              const std::vector<std::string>& only = {});

}  // namespace hive::cli
