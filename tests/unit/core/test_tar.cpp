// The streaming tar behind `hivectl cp`: round trips, GNU tar interop, and extraction that
// never leaves its destination.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hive/sandbox/tar.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using hive::sandbox::TarReader;
using hive::sandbox::TarWriter;
using hive::test::TempDir;

namespace {

void write_file(const fs::path& path, const std::string& text, fs::perms perms = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, perms);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Packs source as `name`, in small pieces so every boundary is crossed.
std::string pack(const std::string& source, const std::string& name, std::size_t piece = 777) {
  TarWriter writer(source, name);
  REQUIRE(writer.open());
  std::string archive, buffer(piece, '\0');
  for (;;) {
    auto n = writer.read(buffer.data(), buffer.size());
    REQUIRE(n);
    if (*n == 0) break;
    archive.append(buffer.data(), *n);
  }
  return archive;
}

hive::Result<void> unpack(const std::string& archive, const std::string& into,
                          std::size_t piece = 333) {
  TarReader reader(into);
  for (std::size_t at = 0; at < archive.size(); at += piece) {
    if (auto r = reader.write(std::string_view(archive).substr(at, piece)); !r) return r;
  }
  return reader.finish();
}

std::string long_name() { return std::string(120, 'n') + "/" + std::string(130, 'f'); }

void make_tree(const fs::path& root) {
  write_file(root / "a.txt", "hello\n");
  write_file(root / "bin" / "run.sh", "#!/bin/sh\necho hi\n", fs::perms(0755));
  write_file(root / "empty", "");
  write_file(root / "blob", std::string("\0\xff\x01", 3) + std::string(100000, 'z'));
  write_file(root / long_name(), "deep\n");
  fs::create_directories(root / "nothing");
  fs::create_symlink("a.txt", root / "link");
}

void check_tree(const fs::path& root) {
  CHECK(read_file(root / "a.txt") == "hello\n");
  CHECK(read_file(root / "bin" / "run.sh") == "#!/bin/sh\necho hi\n");
  CHECK((fs::status(root / "bin" / "run.sh").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK(fs::file_size(root / "empty") == 0);
  CHECK(read_file(root / "blob") == std::string("\0\xff\x01", 3) + std::string(100000, 'z'));
  CHECK(read_file(root / long_name()) == "deep\n");
  CHECK(fs::is_directory(root / "nothing"));
  CHECK(fs::is_symlink(root / "link"));
  CHECK(fs::read_symlink(root / "link") == "a.txt");
}

}  // namespace

TEST_CASE("tar round-trips a tree: modes, empty files, long names, symlinks", "[unit]") {
  TempDir from, to;
  make_tree(fs::path(from.path()) / "src");
  auto archive = pack(from.path() + "/src", "copy");
  CHECK(archive.size() % 512 == 0);
  REQUIRE(unpack(archive, to.path()));
  check_tree(fs::path(to.path()) / "copy");
}

TEST_CASE("tar interoperates with GNU tar both ways", "[unit]") {
  TempDir from, to, gnu;
  make_tree(fs::path(from.path()) / "src");
  // Ours -> GNU tar.
  std::ofstream(gnu.path() + "/ours.tar", std::ios::binary) << pack(from.path() + "/src", "x");
  auto listed =
      hive::test::run({"/usr/bin/tar", "-C", gnu.path(), "-xf", gnu.path() + "/ours.tar"});
  REQUIRE(listed.exit_code == 0);
  check_tree(fs::path(gnu.path()) / "x");
  // GNU tar (its own long-name and pax forms) -> ours.
  for (std::string format : {"gnu", "pax"}) {
    auto made = hive::test::run({"/usr/bin/tar", "--format=" + format, "-C", from.path(), "-cf",
                                 from.path() + "/gnu.tar", "src"});
    REQUIRE(made.exit_code == 0);
    TempDir out;
    REQUIRE(unpack(read_file(from.path() + "/gnu.tar"), out.path()));
    check_tree(fs::path(out.path()) / "src");
  }
}

TEST_CASE("tar extraction never leaves its destination", "[unit]") {
  TempDir work, outside;
  const fs::path root = work.path();
  // An entry with "..": refused.
  fs::create_directories(root / "a" / "b");
  write_file(root / "a" / "evil", "x");
  auto dotdot = hive::test::run({"/usr/bin/tar", "-C", (root / "a" / "b").string(), "-cPf",
                                 (root / "dotdot.tar").string(), "../evil"});
  REQUIRE(dotdot.exit_code == 0);
  TempDir dest;
  auto refused = unpack(read_file(root / "dotdot.tar"), dest.path());
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains(".."));

  // A symlink to the outside, then a file through it: refused, nothing written outside.
  fs::create_directories(root / "t");
  fs::create_symlink(outside.path(), root / "t" / "door");
  auto first = hive::test::run(
      {"/usr/bin/tar", "-C", (root / "t").string(), "-cf", (root / "one.tar").string(), "door"});
  fs::remove(root / "t" / "door");
  fs::create_directories(root / "t" / "door");
  write_file(root / "t" / "door" / "planted", "owned");
  auto second = hive::test::run({"/usr/bin/tar", "-C", (root / "t").string(), "-cf",
                                 (root / "two.tar").string(), "door/planted"});
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  std::string one = read_file(root / "one.tar"), two = read_file(root / "two.tar");
  // Both archives' entries, one after the other (the first's end-of-archive blocks dropped).
  std::string joined = one.substr(0, 1024) + two;
  TempDir dest2;
  auto through = unpack(joined, dest2.path());
  REQUIRE_FALSE(through);
  CHECK_THAT(through.error().message, Catch::Contains("symbolic link"));
  CHECK_FALSE(fs::exists(fs::path(outside.path()) / "planted"));
}

TEST_CASE("a cut-off or foreign archive is an error, not a partial success", "[unit]") {
  TempDir from, dest;
  write_file(fs::path(from.path()) / "f", std::string(5000, 'q'));
  auto archive = pack(from.path() + "/f", "f");
  auto cut = unpack(archive.substr(0, 1536), dest.path());
  CHECK_FALSE(cut);
  TempDir dest2;
  auto junk = unpack(std::string(2048, 'j'), dest2.path());
  REQUIRE_FALSE(junk);
  CHECK_THAT(junk.error().message, Catch::Contains("not a valid tar archive"));
}
