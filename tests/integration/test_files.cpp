// Files inside a sandbox through the gateway, and hivectl cp both ways.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using namespace hive::sandbox;
using hive::Errc;
using hive::test::TempDir;
using hive::test::TestServer;

namespace {

std::string slurp(const fs::path& path) { return hive::test::slurp(path.string()); }

// Peak resident memory of a process, in MiB, from /proc/PID/status (VmHWM).
double peak_rss_mib(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

}  // namespace

TEST_CASE("files are written, read, listed, stat'ed and deleted in a sandbox", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  const std::string bytes("\0\xff binary\n", 10);
  REQUIRE(client.write_file(sb->id, "/workspace/dir/data.bin", bytes, "0600"));
  auto back = client.read_file(sb->id, "dir/data.bin");  // relative: from the workdir
  REQUIRE(back);
  CHECK(*back == bytes);
  auto info = client.stat_file(sb->id, "/workspace/dir/data.bin");
  REQUIRE(info);
  CHECK(info->type == "file");
  CHECK(info->size == 10);
  CHECK(info->mode == "0600");
  auto listing = client.list_files(sb->id, "/workspace/dir");
  REQUIRE(listing);
  REQUIRE(listing->size() == 1);
  CHECK((*listing)[0].name == "data.bin");
  // The command inside sees the same file.
  CHECK(hive::test::run_in(client, sb->id, "wc -c < /workspace/dir/data.bin").stdout_data ==
        "10\n");

  auto missing = client.read_file(sb->id, "/workspace/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK_THAT(missing.error().message, Catch::Contains("/workspace/nope"));
  auto not_empty = client.remove_file(sb->id, "/workspace/dir");
  REQUIRE_FALSE(not_empty);
  CHECK(not_empty.error().code == Errc::conflict);
  CHECK_THAT(not_empty.error().message, Catch::Contains("recursive"));
  REQUIRE(client.remove_file(sb->id, "/workspace/dir", true));
  CHECK(client.stat_file(sb->id, "/workspace/dir").error().code == Errc::not_found);
  REQUIRE(client.make_directory(sb->id, "/workspace/a/b/c"));
  CHECK(client.stat_file(sb->id, "/workspace/a/b/c")->type == "directory");
  auto bad_mode = client.write_file(sb->id, "/workspace/x", "x", "rwx");
  REQUIRE_FALSE(bad_mode);
  CHECK_THAT(bad_mode.error().message, Catch::Contains("octal"));
}

TEST_CASE("a symlink inside a sandbox never leads to the host", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  // Links a command made to host paths: the server's state directory and the host's /root.
  const std::string state = server.state_dir();
  hive::test::run_in(client, sb->id,
                     "ln -s " + state + " /workspace/state && ln -s /root /workspace/host-root");
  auto through = client.write_file(sb->id, "/workspace/state/planted", "x");
  REQUIRE_FALSE(through);
  CHECK_FALSE(fs::exists(state + "/planted"));
  auto token = client.read_file(sb->id, "/workspace/state/token");
  REQUIRE_FALSE(token);
  CHECK(token.error().code == Errc::not_found);
  auto listing = client.list_files(sb->id, "/workspace/host-root");
  REQUIRE(listing);
  CHECK(listing->empty());  // the sandbox's own, empty /root
  // cp out copies the link itself, not what it would point to on this machine.
  TempDir local;
  REQUIRE(server.hivectl({"cp", sb->id + ":/workspace/state", local.path() + "/s"}).exit_code == 0);
  CHECK(fs::is_symlink(local.path() + "/s"));
}

TEST_CASE("hivectl cp copies a tree in and out, keeping modes and symlinks", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  TempDir local;
  const fs::path src = fs::path(local.path()) / "src";
  fs::create_directories(src / "sub");
  std::ofstream(src / "sub" / "run.sh") << "#!/bin/sh\necho ran\n";
  fs::permissions(src / "sub" / "run.sh", fs::perms(0755));
  std::ofstream(src / "notes.txt") << "notes\n";
  fs::create_symlink("notes.txt", src / "latest");

  auto in = server.hivectl({"cp", src.string(), sb->id + ":/workspace/proj"});
  REQUIRE(in.exit_code == 0);
  CHECK(in.out.empty());
  auto ran = hive::test::run_in(client, sb->id,
                                "/workspace/proj/sub/run.sh && readlink /workspace/proj/latest");
  CHECK(ran.stdout_data == "ran\nnotes.txt\n");
  // Into an existing directory, the source keeps its name.
  REQUIRE(server.hivectl({"cp", src.string(), sb->id + ":/workspace"}).exit_code == 0);
  CHECK(hive::test::run_in(client, sb->id, "cat /workspace/src/notes.txt").stdout_data ==
        "notes\n");

  hive::test::run_in(client, sb->id, "echo made-inside > /workspace/proj/out.txt");
  auto out = server.hivectl({"cp", sb->id + ":/workspace/proj", local.path() + "/back"});
  REQUIRE(out.exit_code == 0);
  const fs::path back = fs::path(local.path()) / "back";
  CHECK(slurp(back / "out.txt") == "made-inside\n");
  CHECK(slurp(back / "notes.txt") == "notes\n");
  CHECK(fs::read_symlink(back / "latest") == "notes.txt");
  CHECK((fs::status(back / "sub" / "run.sh").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  // A single file, to a new name.
  REQUIRE(server.hivectl({"cp", sb->id + ":proj/out.txt", local.path() + "/one.txt"}).exit_code ==
          0);
  CHECK(slurp(fs::path(local.path()) / "one.txt") == "made-inside\n");
}

TEST_CASE("hivectl cp explains what is wrong", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  auto both_local = server.hivectl({"cp", "./a", "./b"});
  CHECK(both_local.exit_code == 2);
  CHECK_THAT(both_local.err, Catch::Contains("ID:PATH"));
  auto no_source = server.hivectl({"cp", "/nonexistent/x", sb->id + ":/workspace/x"});
  CHECK(no_source.exit_code == 1);
  CHECK_THAT(no_source.err, Catch::Contains("/nonexistent/x"));
  auto no_remote = server.hivectl({"cp", sb->id + ":/workspace/none", "/tmp"});
  CHECK(no_remote.exit_code == 1);
  CHECK_THAT(no_remote.err, Catch::Contains("/workspace/none"));
  auto no_sandbox = server.hivectl({"cp", "sb-nope:/x", "/tmp"});
  CHECK(no_sandbox.exit_code == 1);
  CHECK_THAT(no_sandbox.err, Catch::Contains("sb-nope"));
}

TEST_CASE("a 1 GiB file crosses without being held in memory", "[integration]") {
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  TempDir local;
  const std::string big = local.path() + "/big";
  {
    std::ofstream file(big, std::ios::binary);
    file << "head";
  }
  REQUIRE(truncate(big.c_str(), 1LL << 30) == 0);  // sparse: 1 GiB without writing it
  auto in = server.hivectl({"cp", big, sb->id + ":/tmp/big"});
  REQUIRE(in.exit_code == 0);
  // hivectl itself, measured by time(1): its peak resident set in KiB on stderr.
  auto out = hive::test::run({"/usr/bin/time", "-f", "%M", hive::test::bin("hivectl"), "--server",
                              server.url(), "--token", server.token(), "cp", sb->id + ":/tmp/big",
                              local.path() + "/back"});
  REQUIRE(out.exit_code == 0);
  const double client_peak = std::stod(hive::test::trim(out.err)) / 1024.0;
  CHECK(fs::file_size(local.path() + "/back") == (1ULL << 30));
  CHECK(slurp(local.path() + "/back").substr(0, 4) == "head");
  // Neither the gateway nor the agent held the file: both peaked far below its size (the
  // bounds leave room for the sanitizer build's allocator; release peaks are ~9 and ~3 MiB).
  double server_peak = peak_rss_mib(std::to_string(server.pid()));
  double agent_peak = peak_rss_mib(hive::test::agent_pid(sb->id));
  INFO("peak RSS: server " << server_peak << " MiB, agent " << agent_peak << " MiB, hivectl "
                           << client_peak << " MiB");
  CHECK(server_peak > 0);
  CHECK(server_peak < 256);
  CHECK(agent_peak > 0);
  CHECK(agent_peak < 256);
  CHECK(client_peak < 256);
  std::printf("1 GiB cp in and out: peak RSS server %.1f MiB, agent %.1f MiB, hivectl %.1f MiB\n",
              server_peak, agent_peak, client_peak);
}
