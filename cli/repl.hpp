// hivectl shell: the REPL's pure parts, unit-tested apart from the terminal.
#pragma once

#include <string>
#include <vector>

#include "hive/error.hpp"

namespace hive::cli {

// Words as a POSIX shell splits them: blanks separate, '...' and "..." quote, \ escapes.
Result<std::vector<std::string>> split_words(const std::string& line);

// The hivectl arguments for a ":verb args" line, with the sandbox in use filled in where the
// verb takes one (":ps" -> "ps ID", ":mcp call T" -> "mcp call ID T", ":cp f :/w/f" ->
// "cp f ID:/w/f"). `current` may be empty; then the line goes as written.
std::vector<std::string> repl_command(std::vector<std::string> words, const std::string& current);

}  // namespace hive::cli
