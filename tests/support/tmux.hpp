// A real terminal for tests: a tmux server of the test's own (its own socket, so nothing of
// the user's is touched), one window running a command, keys sent to it, and its screen read.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace hive::test {

class Tmux {
 public:
  Tmux() : socket_("hive-test-" + std::to_string(getpid())) {}
  ~Tmux() { run({"kill-server"}); }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  Outcome run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"/usr/bin/tmux", "-L", socket_});
    return hive::test::run(args);
  }
  // A window of cols x rows running `command`.
  bool open(const std::string& command, int cols = 80, int rows = 24) const {
    return run({"new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y",
                std::to_string(rows), command})
               .exit_code == 0;
  }
  std::string screen() const { return run({"capture-pane", "-p", "-t", "t"}).out; }
  void keys(std::vector<std::string> keys) const {
    keys.insert(keys.begin(), {"send-keys", "-t", "t"});
    run(keys);
  }
  // Waits (up to 15 s) until the screen shows `text`, `times` times.
  bool shows(const std::string& text, int times = 1) const {
    for (int i = 0; i < 150; ++i) {
      const std::string now = screen();
      int seen = 0;
      for (auto at = now.find(text); at != std::string::npos; at = now.find(text, at + 1)) ++seen;
      if (seen >= times) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    UNSCOPED_INFO("the screen, still without '" << text << "':\n" << screen());
    return false;
  }

 private:
  std::string socket_;
};

}  // namespace hive::test
