// What `hivectl __complete` offers where, without a server, and the scripts in completions/
// being exactly what `hivectl completion SHELL` prints.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "app.hpp"
#include "fake_http.hpp"
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

TEST_CASE("__complete sees '--' as typed: flags for '--', nothing after it", "[unit]") {
  auto flags = hivectl({"__complete", "spawn", "--"});  // was "spawn": the -- had been dropped
  CHECK_THAT(flags, Catch::Contains("--memory\n"));
  CHECK_THAT(flags, Catch::Contains("--network\n"));
  CHECK(flags.find("spawn") == std::string::npos);
  CHECK_THAT(hivectl({"__complete", "list", "--st"}), Catch::Contains("--state\n"));

  // With a server that has a sandbox: its id where an id goes, and never after "--".
  hive::test::FakeHttp hive([](const std::string&, const std::string&) {
    return hive::test::Reply{200, "application/json",
                             R"({"items": [{"id": "sb-fake", "state": "Running"}]})"};
  });
  setenv("HIVE_SERVER", hive.url().c_str(), 1);
  setenv("HIVE_TOKEN", "t", 1);
  const std::string ids = hivectl({"__complete", "exec", ""});
  const std::string after_dashes = hivectl({"__complete", "exec", "sb-fake", "--", ""});
  const std::string cp_after_dashes = hivectl({"__complete", "cp", "--", ""});
  unsetenv("HIVE_SERVER");
  unsetenv("HIVE_TOKEN");
  CHECK(ids == "sb-fake\n");
  CHECK(after_dashes.empty());     // the remote command's: the shell completes files
  CHECK(cp_after_dashes.empty());  // local names
}
