// Test support: run a program with input and capture its output, and a real hive-server on
// 127.0.0.1:0 with a temporary state directory.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "hive/sandbox/client.hpp"

namespace hive::test {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs argv (argv[0] a path) with env added to ours, feeding `input` on stdin.
Outcome run(const std::vector<std::string>& argv, const std::string& input = "",
            const std::vector<std::string>& env = {});

std::string bin(const std::string& name);  // build/bin/<name>

// The host pid of a sandbox's hive-agent (its command line names the sandbox), "" if none.
std::string agent_pid(const std::string& sandbox_id);

// A file's whole content, "" when it cannot be read.
std::string slurp(const std::string& path);

// Waits (up to `seconds`) until the file has content, and returns it ("" on timeout).
std::string wait_for_file(const std::string& path, int seconds = 10);

// Without trailing newlines and spaces.
std::string trim(std::string text);

// The directories under /sys/fs/cgroup, to depth 7, whose path `wanted` picks (a sandbox's
// groups, one per hierarchy). Other tests' sandboxes come and go meanwhile, and a directory
// removed under a scan ends it early, so an interrupted scan is made again.
std::vector<std::string> cgroup_dirs(const std::function<bool(const std::string& path)>& wanted);
// A sandbox's own groups: the directories named after its id.
std::vector<std::string> cgroups_named(const std::string& id);

// A temporary directory, removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TestServer {
 public:
  // Starts hive-server with these extra flags; throws if it does not come up.
  explicit TestServer(std::vector<std::string> flags = {});
  ~TestServer();  // deprovisions what tests left, stops the server, removes the state dir

  void start();
  void kill9();  // SIGKILL, as a crash would
  int stop();    // SIGTERM, as an operator would; its exit status (sandboxes keep running)
  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  const std::string& token() const { return token_; }
  const std::string& state_dir() const { return state_.path(); }
  sandbox::Client client() const;
  // Runs hivectl against this server.
  Outcome hivectl(std::vector<std::string> args, const std::string& input = "") const;

 private:
  TempDir state_;
  std::vector<std::string> flags_;
  pid_t pid_ = -1;
  std::string url_, token_;
};

}  // namespace hive::test
