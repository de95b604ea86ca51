// What hivectl says about a command line it cannot run: unknown verbs and flags by name with
// what was meant, the usage line, and the exit code (2; 125 for exec).
#include <catch2/catch.hpp>

#include "run_hivectl.hpp"
#include "suggest.hpp"

using namespace hive::cli;
using Catch::Contains;
using hive::test::run_cli;

TEST_CASE("an unknown verb is named, with the verb meant when one is close", "[unit]") {
  auto typo = run_cli({"spwan"});
  CHECK(typo.code == kExitUsage);
  CHECK(typo.err ==
        "hivectl: unknown command \"spwan\" for \"hivectl\"\n\nDid you mean this?\n\tspawn\n\n"
        "Run 'hivectl --help' for usage.\n");
  auto top = run_cli({"top"});  // nothing close: no guess
  CHECK(top.code == kExitUsage);
  CHECK(top.err ==
        "hivectl: unknown command \"top\" for \"hivectl\"\n"
        "Run 'hivectl --help' for usage.\n");
  auto run = run_cli({"run", "--image", "host"});  // kubectl's and docker's word for it
  CHECK_THAT(run.err, Contains("unknown command \"run\" for \"hivectl\""));
  CHECK_THAT(run.err, Contains("Did you mean this?\n\tspawn\n\texec\n"));
  auto after_flags = run_cli({"--server", "http://127.0.0.1:1", "gte", "sb-1"});
  CHECK_THAT(after_flags.err, Contains("unknown command \"gte\""));
  CHECK_THAT(after_flags.err, Contains("\tget\n"));
  auto sub = run_cli({"mcp", "tool", "sb-1"});
  CHECK(sub.code == kExitUsage);
  CHECK_THAT(sub.err, Catch::StartsWith("hivectl: unknown command \"tool\" for \"hivectl mcp\""));
  CHECK_THAT(sub.err, Contains("\ttools\n"));
  CHECK_THAT(sub.err, Contains("Run 'hivectl mcp --help' for usage."));
  CHECK(run_cli({"mcp"}).err ==
        "hivectl mcp: no command given (tools, call)\nRun 'hivectl mcp --help' for usage.\n");
  CHECK(run_cli({}).err == "hivectl: no command given\nRun 'hivectl --help' for usage.\n");
}

TEST_CASE("a flag's bad or missing value is named once, in plain words", "[unit]") {
  CHECK(run_cli({"spawn", "--memory"}).err ==
        "hivectl spawn: flag needs a value: --memory\nRun 'hivectl spawn --help' for usage.\n");
  CHECK(run_cli({"spawn", "--ttl", "soon"}).err ==
        "hivectl spawn: --ttl: 'soon': expected a duration like 30s, 2m or 1h\n"
        "Run 'hivectl spawn --help' for usage.\n");
  CHECK(run_cli({"logs", "sb-1", "abc"}).err ==
        "hivectl logs: PID: 'abc' is not a process id (hivectl ps ID lists them)\n"
        "Run 'hivectl logs --help' for usage.\n");
}

TEST_CASE("the shell's ':verb' lines get the same answer", "[unit]") {
  auto repl = run_cli({"shell"}, ":spwan\n:nosuchverb\n");
  CHECK_THAT(repl.err, Contains("hivectl: unknown command \"spwan\" for \"hivectl\"\n\n"
                                "Did you mean this?\n\tspawn\n"));
  CHECK_THAT(repl.err, Contains("hivectl: unknown command \"nosuchverb\" for \"hivectl\"\n"));
  CHECK(repl.code == kExitUsage);  // a script's shell exits as its last line did
}

TEST_CASE("an unknown flag is named, with the verb's flag meant when one is close", "[unit]") {
  auto state = run_cli({"list", "--staet", "Running"});
  CHECK(state.code == kExitUsage);
  CHECK(state.err ==
        "hivectl: unknown flag: --staet\n\nDid you mean this?\n\t--state\n\n"
        "Run 'hivectl list --help' for usage.\n");
  auto far = run_cli({"get", "sb-1", "--frobnicate=1"});
  CHECK(far.err == "hivectl: unknown flag: --frobnicate\nRun 'hivectl get --help' for usage.\n");
  auto global = run_cli({"list", "--sever", "http://x"});  // global flags count as the verb's
  CHECK_THAT(global.err, Contains("\t--server\n"));
  auto exec = run_cli({"exec", "--envv", "A=1", "sb-1", "--", "true"});
  CHECK(exec.code == kExitExecHive);  // exec's usage errors are 125, as docker's
  CHECK_THAT(exec.err, Contains("unknown flag: --envv"));
  CHECK_THAT(exec.err, Contains("\t--env\n"));
  auto extra = run_cli({"ps", "sb-1", "sb-2"});
  CHECK(extra.err ==
        "hivectl: unexpected argument \"sb-2\" for \"hivectl ps\"\n"
        "Run 'hivectl ps --help' for usage.\n");
}

TEST_CASE("--version prints the client line of hivectl version", "[unit]") {
  auto flag = run_cli({"--version"});
  CHECK(flag.code == 0);
  CHECK_THAT(flag.out, Catch::StartsWith("Client Version: "));
  CHECK(flag.out == run_cli({"version", "--client"}).out);
}

TEST_CASE("get, describe, wait and keepalive take ids or -l, one of the two", "[unit]") {
  for (std::string verb : {"get", "describe", "keepalive", "wait"}) {
    std::vector<std::string> extra;
    if (verb == "wait") extra = {"--for=delete"};
    auto both = run_cli([&] {
      std::vector<std::string> args{verb, "sb-1", "-l", "run=42"};
      args.insert(args.end(), extra.begin(), extra.end());
      return args;
    }());
    CHECK(both.code == kExitUsage);
    CHECK(both.err == "hivectl " + verb +
                          ": give sandbox ids or -l SELECTOR, not both\nRun 'hivectl " + verb +
                          " --help' for usage.\n");
    std::vector<std::string> args{verb};
    args.insert(args.end(), extra.begin(), extra.end());
    auto neither = run_cli(args);
    CHECK(neither.code == kExitUsage);
    CHECK(neither.err == "hivectl " + verb + ": give sandbox ids or -l SELECTOR\nRun 'hivectl " +
                             verb + " --help' for usage.\n");
  }
}

TEST_CASE("wait takes state names in any case and refuses unknown ones at once", "[unit]") {
  auto bogus = run_cli({"wait", "sb-1", "--for=state=Runing"});
  CHECK(bogus.code == kExitUsage);
  CHECK(
      bogus.err ==
      "hivectl wait: --for 'state=Runing': no state \"Runing\"; one of Pending, Pulling, Starting, "
      "Running, Terminating, Terminated, Failed\nRun 'hivectl wait --help' for usage.\n");
  // Accepted: it goes on to ask the (absent) server.
  auto lower = run_cli({"--server", "http://127.0.0.1:1", "--token", "t", "wait", "sb-1",
                        "--for=state=running", "--timeout", "5s"});
  CHECK(lower.code == kExitNoServer);
  auto list =
      run_cli({"--server", "http://127.0.0.1:1", "--token", "t", "list", "--state", "running"});
  CHECK(list.code == kExitNoServer);
}

TEST_CASE("suggestions are close names only", "[unit]") {
  CHECK(edit_distance("spwan", "spawn") == 1);  // a swap is one slip
  CHECK(edit_distance("top", "cp") == 2);
  const std::vector<std::string> verbs{"spawn", "list", "ls", "get", "describe", "cp", "ps"};
  CHECK(suggestions("spwan", verbs) == std::vector<std::string>{"spawn"});
  CHECK(suggestions("desc", verbs) == std::vector<std::string>{"describe"});  // a prefix
  CHECK(suggestions("top", verbs).empty());
  CHECK(suggestions("--staet", {"--state", "--selector", "-l"}) ==
        std::vector<std::string>{"--state"});
  CHECK(did_you_mean({}).empty());
}
