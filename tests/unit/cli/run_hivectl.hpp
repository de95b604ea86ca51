// hivectl run in-process with buffers for its streams, as the unit tests drive it.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"

namespace hive::test {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun run_cli(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), "hivectl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = cli::run_hivectl(static_cast<int>(argv.size()), argv.data(), {in, out, err});
  return {code, out.str(), err.str()};
}

}  // namespace hive::test
