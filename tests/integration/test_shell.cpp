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
  tmux.keys({"sleep 100", "Enter"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // running before the key
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
