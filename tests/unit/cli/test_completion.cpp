// What `hivectl __complete` offers where, without a server, and the scripts in completions/
// being exactly what `hivectl completion SHELL` prints.
#include <catch2/catch.hpp>

#include <sstream>

#include "app.hpp"
#include "process.hpp"

using namespace hive::cli;

namespace {

std::string hivectl(std::vector<std::string> args) {
  args.insert(args.begin(), "hivectl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in;
  std::ostringstream out, err;
  run_hivectl(static_cast<int>(argv.size()), argv.data(), {in, out, err});
  return out.str();
}

}  // namespace

TEST_CASE("__complete offers verbs, sub-verbs, flags and flag values", "[unit]") {
  CHECK(hivectl({"__complete", "ex"}) == "exec\n");
  CHECK(hivectl({"__complete", "d"}) == "describe\ndeprovision\n");
  CHECK(hivectl({"__complete", "mcp", ""}) == "tools\ncall\n");
  CHECK(hivectl({"__complete", "config", "use"}) == "use-context\n");
  CHECK(hivectl({"__complete", "list", "-o", "j"}) == "json\njsonpath=\n");
  CHECK(hivectl({"__complete", "spawn", "--network", ""}) == "none\nhost\negress\n");
  auto flags = hivectl({"__complete", "spawn", "--m"});
  CHECK_THAT(flags, Catch::Contains("--memory\n"));
  CHECK_THAT(flags, Catch::Contains("--mcp-config\n"));
  CHECK(hivectl({"__complete", "--serv"}) == "--server\n");
  CHECK(hivectl({"__complete", "exec", "sb-1", "--", ""}).empty());  // the remote command's
  CHECK(hivectl({"__complete", "__"}).empty());                      // hidden stays hidden
}

TEST_CASE("completions/ holds what hivectl completion prints", "[unit]") {
  const std::string dir = std::string(HIVE_SOURCE_DIR) + "/completions/";
  CHECK(hivectl({"completion", "bash"}) == hive::test::slurp(dir + "hivectl.bash"));
  CHECK(hivectl({"completion", "zsh"}) == hive::test::slurp(dir + "_hivectl"));
  CHECK(hivectl({"completion", "fish"}) == hive::test::slurp(dir + "hivectl.fish"));
}
