// hivectl shell as a person uses it (in a real terminal, under tmux: prompt, editing, Tab,
// Ctrl-C, history) and as a script feeds it (lines on stdin).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "process.hpp"
#include "tmux.hpp"

using hive::test::TestServer;

TEST_CASE("a script can pipe lines into hivectl shell", "[integration]") {
  TestServer server;
  auto run = server.hivectl({"shell"},
                            ":spawn -l from=script\necho hi; pwd\ncd /tmp\npwd\n"
                            "nosuchcommand\n:ps -o name\n:deprovision\necho gone\n");
  INFO(run.err);
  CHECK_THAT(run.out, Catch::Contains("hi\n/workspace\n/tmp\n"));
  CHECK_THAT(run.err, Catch::Contains("not found"));
  CHECK_THAT(run.out, Catch::Contains("deprovisioned"));
  CHECK_THAT(run.err, Catch::Contains("no sandbox in use"));
  auto left = server.client().list({.selector = "from=script"});
  REQUIRE(left);
  for (const auto& sb : *left) CHECK(sb.state == hive::sandbox::State::Terminated);
}

TEST_CASE("hivectl shell in a terminal: editing, Tab, Ctrl-C and history", "[integration]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  hive::test::TempDir home;
  const std::string command = "env HOME=" + home.path() + " HIVE_SERVER=" + server.url() +
                              " HIVE_TOKEN=" + server.token() + " " + hive::test::bin("hivectl") +
                              " shell; sleep 60";
  hive::test::Tmux tmux;
  REQUIRE(tmux.open(command, 120, 40));
  REQUIRE(tmux.shows("hive>"));
  tmux.keys({"use " + sb->id.substr(0, 5), "Tab"});  // a live id, completed
  REQUIRE(tmux.shows("use " + sb->id));
  tmux.keys({"Enter"});
  REQUIRE(tmux.shows("hive:" + sb->id + ">"));
  tmux.keys({"echo abc", "Left", "Left", "X", "Enter"});  // edited in place
  REQUIRE(tmux.shows("\naXbc\n"));
  // Running before the key: its first output is on the screen (the typed line is not it).
  tmux.keys({"printf 'run%s\\n' ning; sleep 100", "Enter"});
  REQUIRE(tmux.shows("\nrunning\n"));
  tmux.keys({"C-c"});  // interrupts the command, not the shell
  REQUIRE(tmux.shows("[130]>"));
  tmux.keys({":mc", "Tab"});
  REQUIRE(tmux.shows("[130]> :mcp"));  // (the pane drops trailing blanks)
  tmux.keys({"to", "Tab"});
  REQUIRE(tmux.shows(":mcp tools"));
  tmux.keys({"Enter"});
  REQUIRE(tmux.shows("run_command"));
  tmux.keys({"Up", "Up", "Up", "Enter"});  // three back in the history: "echo aXbc" again
  tmux.shows("echo aXbc\naXbc\n", 2);
  const std::string screen = tmux.screen();
  tmux.keys({"C-d"});
  INFO(screen);
  CHECK_THAT(screen, Catch::Contains("hive> use " + sb->id));
  CHECK_THAT(screen, Catch::Contains("echo aXbc\naXbc\n"));
  CHECK_THAT(screen, Catch::Contains("^C\nhive:" + sb->id + " [130]> :mcp tools"));
  CHECK_THAT(screen, Catch::Contains("run_command"));
  std::size_t again = screen.find("echo aXbc\naXbc\n");
  REQUIRE(again != std::string::npos);
  CHECK(screen.find("echo aXbc\naXbc\n", again + 1) != std::string::npos);
  CHECK_THAT(hive::test::slurp(home.path() + "/.hive/history"), Catch::Contains("echo\\040aXbc"));
}

TEST_CASE("hivectl shell says what went wrong and exits with it", "[integration]") {
  TestServer server;
  // A sandbox that is not there, then a line with none in use: named, and not exit 0.
  auto piped = server.hivectl({"shell"}, "use nosuch\necho one\n");
  CHECK(piped.exit_code != 0);
  CHECK_THAT(piped.err, Catch::Contains("nosuch"));
  CHECK_THAT(piped.err, Catch::Contains("no sandbox in use"));
  CHECK_THAT(piped.out, !Catch::Contains("one"));
  // The sandbox asked for on the command line cannot be used: it ends at once.
  auto missing = server.hivectl({"shell", "sb-nothere"}, "echo one\n");
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Catch::Contains("sb-nothere"));
  // The last line's status is the shell's, as sh's is.
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  CHECK(server.hivectl({"shell", sb->id}, "true\nexit 3\n").exit_code == 3);
  CHECK(server.hivectl({"shell", sb->id}, "false\ntrue\n").exit_code == 0);
  // With the server down, it says so and exits non-zero instead of waiting.
  auto down = hive::test::run({hive::test::bin("hivectl"), "shell", sb->id}, "true\n",
                              {"HIVE_SERVER=http://127.0.0.1:1", "HIVE_TOKEN=x"});
  CHECK(down.exit_code != 0);
  CHECK_FALSE(down.err.empty());
}

TEST_CASE("at a terminal, each hivectl shell line runs on a terminal", "[integration]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  hive::test::TempDir home;
  const std::string command = "env HOME=" + home.path() +
                              " TERM=xterm-256color HIVE_SERVER=" + server.url() +
                              " HIVE_TOKEN=" + server.token() + " " + hive::test::bin("hivectl") +
                              " shell " + sb->id + "; sleep 60";
  hive::test::Tmux tmux;
  REQUIRE(tmux.open(command, 120, 40));
  REQUIRE(tmux.shows("hive:" + sb->id + ">"));
  tmux.keys({"python3 -c 'import os,sys; print(\"tty\", sys.stdin.isatty(), os.environ[\"TERM\"])'",
             "Enter"});
  CHECK(tmux.shows("tty True xterm-256color"));
  tmux.keys({"python3", "Enter"});  // an interactive interpreter, not one that returns at once
  REQUIRE(tmux.shows("\n>>>"));     // (the pane drops trailing blanks)
  tmux.keys({"print(6 * 7)", "Enter"});
  CHECK(tmux.shows("42"));
  tmux.keys({"exit()", "Enter"});
  CHECK(tmux.shows("hive:" + sb->id + ">", 2));  // the prompt again
}
