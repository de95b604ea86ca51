#include <catch2/catch.hpp>

#include "runtime/local/cgroups.hpp"

using namespace hive::server::local;

TEST_CASE("cgroup v1 hierarchies nest below the server's own group", "[unit]") {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
      "31 25 0:27 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory\n"
      "32 25 0:28 / /sys/fs/cgroup/pids rw,relatime shared:11 - cgroup cgroup rw,pids\n"
      "33 25 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  const std::string own = "8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
  auto layout = parse_cgroup_layout(mountinfo, own);
  CHECK(layout.version == CgroupLayout::Version::V1);
  REQUIRE(layout.hierarchies.size() == 3);
  CHECK(layout.hierarchies[0].controller == "cpu");
  CHECK(layout.hierarchies[0].parent == "/sys/fs/cgroup/cpu/hive");
  CHECK(layout.hierarchies[1].parent == "/sys/fs/cgroup/memory/process_api/abc/hive");
  CHECK(layout.hierarchies[2].parent == "/sys/fs/cgroup/pids/hive");
}

TEST_CASE("a pure cgroup v2 host uses the unified hierarchy", "[unit]") {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
  auto layout = parse_cgroup_layout(mountinfo, "0::/user.slice\n");
  CHECK(layout.version == CgroupLayout::Version::V2);
  REQUIRE(layout.hierarchies.size() == 1);
  CHECK(layout.hierarchies[0].parent == "/sys/fs/cgroup/hive");
}

TEST_CASE("a container's cgroup mount root is not repeated", "[unit]") {
  const std::string mountinfo =
      "31 25 0:27 /docker/x /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
  auto layout = parse_cgroup_layout(mountinfo, "4:memory:/docker/x\n");
  REQUIRE(layout.hierarchies.size() == 1);
  CHECK(layout.hierarchies[0].parent == "/sys/fs/cgroup/memory/hive");
}

TEST_CASE("no cgroup mounts means no cgroups", "[unit]") {
  CHECK(parse_cgroup_layout("", "").version == CgroupLayout::Version::None);
}

TEST_CASE("cgroup counters are read by key", "[unit]") {
  const std::string oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  CHECK(cgroup_counter(oom_control, "oom_kill") == 2);
  CHECK(cgroup_counter(oom_control, "oom") == 0);
  CHECK(cgroup_counter("max 5\n", "max") == 5);
  CHECK(cgroup_counter("", "max") == 0);
}

TEST_CASE("limits that were never hit report nothing", "[unit]") {
  CHECK(limit_hit({}).empty());
  CHECK(limit_hit({"/nonexistent/cgroup"}).empty());
}
