// The agent's file rules, called as /files and the MCP file tools call them (this process
// stands in for the agent): paths resolve against the workdir, and nothing a client names may
// open the agent's own /proc entry, a descriptor by its magic link, or a FIFO that would block.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "agent/file_ops.hpp"

namespace fs = std::filesystem;
using hive::agent::check_tree_path;
using hive::agent::open_to_read;
using hive::agent::open_to_write;
using hive::agent::resolve_path;

namespace {

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("hive-unit-agent-" + std::to_string(getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("paths resolve against the workdir and never climb above /", "[unit]") {
  CHECK(resolve_path("notes.txt", "/workspace") == "/workspace/notes.txt");
  CHECK(resolve_path("../etc/passwd", "/workspace") == "/etc/passwd");
  CHECK(resolve_path("/a/./b//c/..", "/workspace") == "/a/b");
  CHECK(resolve_path("../../../..", "/workspace") == "/");
}

TEST_CASE("the agent's own /proc entry and descriptors by name are refused", "[unit]") {
  const std::string own = "/proc/" + std::to_string(getpid());
  for (const auto& path : {own + "/environ", std::string("/proc/self/mem"), own + "/fd/0",
                           std::string("/proc/thread-self/environ")}) {
    INFO(path);
    auto opened = open_to_read(path);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == hive::Errc::forbidden);
  }
  CHECK_FALSE(check_tree_path("/proc"));
  CHECK_FALSE(check_tree_path("/sys/fs/cgroup"));
  CHECK(check_tree_path("/workspace/src"));
  CHECK_FALSE(open_to_write("/proc/sys/kernel/hostname", O_WRONLY | O_TRUNC, 0644));
}

TEST_CASE("a symlink to a descriptor or a FIFO is refused without blocking", "[unit]") {
  Scratch scratch;
  const auto link = scratch.dir / "fd0";
  fs::create_symlink("/proc/self/fd/0", link);
  CHECK_FALSE(open_to_read(link.string()));

  const auto fifo = scratch.dir / "fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto opened = open_to_read(fifo.string());  // with no writer, a blocking open would hang here
  REQUIRE_FALSE(opened);
  CHECK(opened.error().message.find(fifo.string()) != std::string::npos);
}

TEST_CASE("an ordinary file opens, and a directory only where one is asked for", "[unit]") {
  Scratch scratch;
  const auto file = scratch.dir / "a.txt";
  auto written = open_to_write(file.string(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(written);
  REQUIRE(::write(*written, "hi", 2) == 2);
  close(*written);
  auto read_back = open_to_read(file.string());
  REQUIRE(read_back);
  close(*read_back);
  CHECK_FALSE(open_to_read(scratch.dir.string()));
  auto dir = open_to_read(scratch.dir.string(), /*directory_ok=*/true);
  REQUIRE(dir);
  close(*dir);
}
