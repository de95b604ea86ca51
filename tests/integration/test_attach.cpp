// Interactive sessions over the WebSocket attach: pipes from libsandbox, and hivectl exec -it
// used as a person would, in a real terminal under tmux.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "hive/sandbox/client.hpp"
#include "process.hpp"
#include "tmux.hpp"

using namespace hive::sandbox;
using hive::test::TempDir;
using hive::test::TestServer;
using hive::test::Tmux;

namespace {

// The script a tmux pane runs: `hivectl exec -it` into bash, then a record of how it ended
// (dir/exit) and of the terminal's state afterwards (dir/stty).
std::string session_script(const TestServer& server, const std::string& id,
                           const std::string& dir) {
  const std::string script = dir + "/session.sh";
  std::ofstream(script) << "HIVE_SERVER=" << server.url() << " HIVE_TOKEN=" << server.token() << " "
                        << hive::test::bin("hivectl") << " exec -it -e 'PS1=[hive] ' " << id
                        << " -- bash --norc --noprofile\n"
                        << "echo EXIT=$? > " << dir << "/exit\n"
                        << "stty -a > " << dir << "/stty\n"
                        << "sleep 60\n";
  return "sh " + script;
}

}  // namespace

TEST_CASE("attach with pipes keeps stdout, stderr and the exit code apart", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  int input[2];
  REQUIRE(pipe(input) == 0);
  REQUIRE(write(input[1], "line one\nline two\n", 18) == 18);
  close(input[1]);  // EOF after two lines
  AttachOptions options;
  options.tty = false;
  options.command = {"sh", "-c",
                     "while read l; do echo \"out: $l\"; echo \"err: $l\" >&2; done; exit 7"};
  options.input_fd = input[0];
  std::string out, err;
  options.on_stdout = [&out](std::string_view data) { out += data; };
  options.on_stderr = [&err](std::string_view data) { err += data; };
  auto result = client.attach(sb->id, options);
  close(input[0]);
  REQUIRE(result);
  CHECK(result->exit_code == 7);
  CHECK(out == "out: line one\nout: line two\n");
  CHECK(err == "err: line one\nerr: line two\n");

  auto missing =
      client.attach(sb->id, {.command = {"no-such-program"}, .tty = false, .input_fd = -1});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("no-such-program"));
  auto nowhere = client.attach("sb-nope", {.input_fd = -1});
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().code == hive::Errc::not_found);
}

TEST_CASE("hivectl exec -it is a terminal: keys, resize, Ctrl-C, exit code, restored tty",
          "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  TempDir dir;
  Tmux tmux;
  REQUIRE(tmux.open(session_script(server, sb->id, dir.path())));
  REQUIRE(tmux.shows("[hive]"));

  tmux.keys({"echo hello-$((6*7))", "Enter"});
  CHECK(tmux.shows("hello-42"));

  // The window's size follows the local terminal, at the start and on resize (SIGWINCH).
  tmux.keys({"stty size", "Enter"});
  CHECK(tmux.shows("24 80"));
  tmux.run({"resize-window", "-t", "t", "-x", "100", "-y", "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  tmux.keys({"clear; stty size", "Enter"});
  CHECK(tmux.shows("30 100"));

  // Ctrl-C interrupts the remote command, not hivectl.
  tmux.keys({"clear; sleep 100", "Enter"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  tmux.keys({"C-c"});
  tmux.keys({"echo after-$((1+1))", "Enter"});
  CHECK(tmux.shows("after-2"));

  tmux.keys({"exit 3", "Enter"});
  std::string exit = hive::test::wait_for_file(dir.path() + "/exit");
  CHECK(exit == "EXIT=3\n");
  std::string stty = hive::test::wait_for_file(dir.path() + "/stty");
  // Back in cooked mode: line editing and signals on again.
  CHECK_THAT(stty, Catch::Contains("icanon") && Catch::Contains("isig") &&
                       !Catch::Contains("-icanon") && !Catch::Contains("-isig"));
}

TEST_CASE("a dropped connection ends the remote session and restores the terminal",
          "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  TempDir dir;
  Tmux tmux;
  REQUIRE(tmux.open(session_script(server, sb->id, dir.path())));
  REQUIRE(tmux.shows("[hive]"));
  tmux.keys({"sleep 1000 &", "Enter"});
  tmux.keys({"echo started", "Enter"});
  REQUIRE(tmux.shows("started"));
  // The server goes away mid-session, as a crash or a network cut would.
  server.kill9();
  std::string exit = hive::test::wait_for_file(dir.path() + "/exit");
  CHECK(exit == "EXIT=125\n");
  std::string stty = hive::test::wait_for_file(dir.path() + "/stty");
  CHECK_THAT(stty, Catch::Contains("icanon") && !Catch::Contains("-icanon"));
  CHECK_THAT(tmux.screen(), Catch::Contains("connection to the sandbox lost"));
  // The shell and what it started ended with the connection: nothing is left running.
  server.start();
  auto after = server.client();
  std::string left = "?";
  for (int i = 0; i < 50 && !left.empty(); ++i) {
    ExecRequest pgrep;
    pgrep.command = "pgrep -x 'sleep|bash' || true";
    auto found = after.exec(sb->id, pgrep);
    REQUIRE(found);
    left = hive::test::trim(found->stdout_data);
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(left.empty());
}

TEST_CASE("attach refuses a command that cannot start with its exit code and the step named",
          "[integration][attach]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  for (bool tty : {false, true}) {
    INFO("tty " << tty);
    auto missing =
        client.attach(sb->id, {.command = {"no-such-program"}, .tty = tty, .input_fd = -1});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit_code == 127);
    CHECK_THAT(missing.error().message,
               Catch::Contains("exec 'no-such-program': No such file or directory"));
    auto nowhere =
        client.attach(sb->id, {.command = {"true"}, .tty = tty, .cwd = "/nope", .input_fd = -1});
    REQUIRE_FALSE(nowhere);
    CHECK(nowhere.error().exit_code == 126);
    CHECK_THAT(nowhere.error().message,
               Catch::Contains("chdir '/nope': No such file or directory"));
  }
  // The session goes on: the next attach runs.
  auto fine =
      client.attach(sb->id, {.command = {"sh", "-c", "exit 4"}, .tty = false, .input_fd = -1});
  REQUIRE(fine);
  CHECK(fine->exit_code == 4);
}
