// hivectl shell as a person uses it (in a real terminal, under tmux: prompt, editing, Tab,
// Ctrl-C, history) and as a script feeds it (lines on stdin).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "process.hpp"

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
  const std::string session = "hive-shell-" + std::to_string(getpid());
  const std::string command = "env HOME=" + home.path() + " HIVE_SERVER=" + server.url() +
                              " HIVE_TOKEN=" + server.token() + " " + hive::test::bin("hivectl") +
                              " shell; sleep 60";
  hive::test::run(
      {"/usr/bin/tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command});
  auto keys = [&](std::vector<std::string> k, int ms = 700) {
    k.insert(k.begin(), {"/usr/bin/tmux", "send-keys", "-t", session});
    hive::test::run(k);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  auto pane = [&] {
    return hive::test::run({"/usr/bin/tmux", "capture-pane", "-t", session, "-p"}).out;
  };
  for (int i = 0; i < 100 && pane().find("hive>") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  keys({"use " + sb->id.substr(0, 5), "Tab"});  // a live id, completed
  keys({"Enter"});
  keys({"echo abc", "Left", "Left", "X", "Enter"});  // edited in place
  keys({"sleep 100", "Enter"}, 1000);
  keys({"C-c"}, 1500);  // interrupts the command, not the shell
  keys({":mc", "Tab"});
  keys({"to", "Tab"});
  keys({"Enter"}, 1500);
  keys({"Up", "Up", "Up", "Enter"}, 1000);  // three back in the history: "echo aXbc" again
  const std::string screen = pane();
  keys({"C-d"});
  hive::test::run({"/usr/bin/tmux", "kill-session", "-t", session});
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
