// What a sandbox can see of the host, and what is left of it after deprovision.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "process.hpp"

using hive::test::TestServer;
using hive::test::trim;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) { return hive::test::slurp(path.string()); }

// Host processes whose command line mentions the sandbox id (the agent carries it).
int processes_naming(const std::string& id) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto cmdline = slurp(entry.path() / "cmdline");
    if (cmdline.find(id) != std::string::npos) ++count;
  }
  return count;
}

std::vector<fs::path> cgroups_named(const std::string& id) {
  auto dirs = hive::test::cgroups_named(id);
  return {dirs.begin(), dirs.end()};
}

// The pids in one child group ("agent" or "work") of the sandbox's groups.
std::set<int> pids_in(const std::vector<fs::path>& cgroups, const std::string& child) {
  std::set<int> pids;
  for (const auto& dir : cgroups) {
    std::istringstream procs(slurp(dir / child / "cgroup.procs"));
    for (int pid = 0; procs >> pid;) pids.insert(pid);
  }
  return pids;
}

}  // namespace

TEST_CASE("a sandbox sees only itself", "[integration]") {
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  REQUIRE(!id.empty());
  auto exec = [&](std::vector<std::string> argv) {
    std::vector<std::string> args{"exec", id, "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    return server.hivectl(args);
  };

  auto ps = exec({"ps", "-e", "-o", "pid=,comm="});
  REQUIRE(ps.exit_code == 0);
  CHECK_THAT(ps.out, Catch::Contains("1 hive-agent"));
  CHECK(std::count(ps.out.begin(), ps.out.end(), '\n') == 2);  // the agent and ps itself

  CHECK(trim(exec({"hostname"}).out) == id);

  auto touch = exec({"touch", "/usr/hive-escape-test"});
  CHECK(touch.exit_code != 0);
  CHECK_THAT(touch.err, Catch::Contains("Read-only file system"));
  CHECK_FALSE(fs::exists("/usr/hive-escape-test"));

  auto netdev = exec({"cat", "/proc/net/dev"});
  CHECK_THAT(netdev.out, Catch::Contains("lo:"));
  CHECK(std::count(netdev.out.begin(), netdev.out.end(), '\n') == 3);  // two headers, lo

  CHECK(exec({"cat", "/etc/shadow"}).exit_code != 0);
  CHECK(exec({"ls", server.state_dir()}).exit_code != 0);
  CHECK(exec({"cat", server.state_dir() + "/token"}).exit_code != 0);
  CHECK(trim(exec({"ls", "-A", "/root", "/home"}).out) == "/home:\n\n/root:");
  CHECK(exec({"cat", "/etc/os-release"}).exit_code == 0);  // the rest of /etc is there

  auto write = exec({"sh", "-c", "echo data > /workspace/f && cat /workspace/f && pwd"});
  CHECK(write.out == "data\n/workspace\n");
  CHECK(exec({"sh", "-c", "echo 1 > /proc/sys/kernel/hostname"}).exit_code != 0);
  CHECK(exec({"mknod", "/tmp/disk", "b", "8", "0"}).exit_code != 0);
}

TEST_CASE("deprovision leaves no process, cgroup or directory", "[integration]") {
  TestServer server;
  auto id = trim(server.hivectl({"spawn", "--memory", "256Mi", "--pids", "128"}).out);
  REQUIRE(!id.empty());
  // Something long-running inside, to prove the whole tree goes.
  server.hivectl({"exec", id, "--", "sh", "-c", "sleep 1000 > /dev/null 2>&1 &"});
  CHECK(processes_naming(id) == 1);
  auto cgroups = cgroups_named(id);
  CHECK(!cgroups.empty());
  // The agent outside the limits (in the sandbox group under v1, its "agent" child under v2),
  // the sleep inside them.
  auto agent = pids_in(cgroups, "."), work = pids_in(cgroups, "work");
  for (int pid : pids_in(cgroups, "agent")) agent.insert(pid);
  CHECK(agent.size() == 1);
  CHECK(work.size() == 1);
  std::set<int> pids(agent);
  pids.insert(work.begin(), work.end());
  CHECK(fs::exists(server.state_dir() + "/sandboxes/" + id));

  REQUIRE(server.hivectl({"deprovision", id}).exit_code == 0);
  CHECK(processes_naming(id) == 0);
  for (int pid : pids) CHECK(kill(pid, 0) != 0);
  CHECK(cgroups_named(id).empty());
  CHECK_FALSE(fs::exists(server.state_dir() + "/sandboxes/" + id));
  CHECK(slurp("/proc/self/mountinfo").find(id) == std::string::npos);
}
