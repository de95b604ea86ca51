// What hivectl says when it cannot make sense of its command line, the way kubectl says it: the
// unknown verb or flag by name, what was probably meant, and where the usage is.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app.hpp"

namespace hive::cli {

// The verb argv names (global flags and their values skipped), "" when it names none.
std::string verb_of(CLI::App& app, const std::vector<char*>& argv);

// "hivectl list" for list's App: what a user types to reach it.
std::string command_path(const CLI::App* app);

// Prints the message for a failed parse to io.err and returns the usage exit code:
//   hivectl: unknown command "spwan" for "hivectl"
//
//   Did you mean this?
//           spawn
//
//   Run 'hivectl --help' for usage.
int report_usage_error(CLI::App& app, const CLI::ParseError& error, const Io& io);

}  // namespace hive::cli
