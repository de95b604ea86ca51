// Image archives (image load) and what a real image and a full disk do to the store: a
// real server, archives made by skopeo and mmdebstrap, and hostile ones made by hand.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "image_cases.hpp"
#include "process.hpp"
#include "registry.hpp"

using hive::test::layer_dirs;
using hive::test::Sandbox;
using hive::test::spawn;
using hive::test::TestRegistry;
using hive::test::TestServer;
using hive::test::trim;
namespace fs = std::filesystem;

TEST_CASE("image load takes docker save tars and OCI archives, from a file or stdin", "[images]") {
  TestServer server;
  const std::string images = hive::test::test_images_dir();
  auto loaded = server.hivectl({"image", "load", "-i", images + "/busybox-save.tar"});
  INFO(loaded.err);
  REQUIRE(loaded.exit_code == 0);
  CHECK(loaded.out == "docker.io/test/busybox:multi\n");
  CHECK_THAT(loaded.err, Catch::Contains("loaded docker.io/test/busybox:multi (sha256:"));
  auto sb = spawn(server, "test/busybox:multi");
  CHECK(sb.sh("id -un; pwd; ls /data").out == "app\n/data\nkeep\nthree\n");

  // An OCI archive names its image by a tag alone ("multi"): --tag gives the repository.
  auto untagged = server.hivectl({"image", "load", "-i", images + "/busybox-oci.tar"});
  CHECK(untagged.exit_code == 1);
  CHECK_THAT(untagged.err, Catch::Contains("give it one with --tag"));
  const std::string archive = hive::test::slurp(images + "/busybox-oci.tar");
  auto tagged = server.hivectl({"image", "load", "--tag", "local/bb:oci"}, archive);
  INFO(tagged.err);
  REQUIRE(tagged.exit_code == 0);
  CHECK(tagged.out == "docker.io/local/bb:oci\n");
  auto oci = spawn(server, "local/bb:oci");
  CHECK(oci.sh("cat /data/three").exit_code == 0);
  auto listed = server.hivectl({"image", "ls", "-o", "name"});
  CHECK(listed.out == "docker.io/local/bb:oci\ndocker.io/test/busybox:multi\n");
  CHECK(fs::is_empty(server.state_dir() + "/images/tmp"));
}

TEST_CASE("hostile image archives load nothing and read no host file", "[images]") {
  TestServer server;
  hive::test::TempDir dir;
  auto made = hive::test::run({"/usr/bin/python3",
                               std::string(HIVE_SOURCE_DIR) + "/tests/images/hostile_archives.py",
                               dir.path()});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"escape-name.tar", "has no ../../../../etc/passwd inside it"},
      {"escape-symlink.tar", "has no layer.tar inside it"},
      {"bad-blob.tar", "does not match it"},
      {"no-index.tar", "neither a docker save tar"},
      {"/etc/hostname", "not a tar archive"}};
  for (const auto& [file, why] : cases) {
    const std::string path = file[0] == '/' ? file : dir.path() + "/" + file;
    auto refused = server.hivectl({"image", "load", "-i", path});
    INFO(file << ": " << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains(why));
  }
  CHECK(trim(server.hivectl({"image", "ls", "-o", "name"}).out).empty());
  CHECK(layer_dirs(server).empty());
  CHECK(fs::is_empty(server.state_dir() + "/images/tmp"));
  // Only an admin loads images.
  auto sb = spawn(server, "host");
  auto token = trim(server.hivectl({"get", sb.id, "-o", "jsonpath={.token}"}).out);
  auto as_sandbox =
      hive::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                       "--data-binary", "@" + dir.path() + "/no-index.tar", "-H",
                       "Authorization: Bearer " + token, server.url() + "/v1/images/load"});
  CHECK(as_sandbox.out == "403");
}

TEST_CASE("a Python image from Debian's packages runs pip install of a wheel copied in",
          "[images]") {
  const std::string archive = hive::test::python_image_archive();
  TestServer server;
  auto loaded = server.hivectl({"image", "load", "-i", archive});
  INFO(loaded.err);
  REQUIRE(loaded.exit_code == 0);
  CHECK(loaded.out == "docker.io/test/python:3\n");
  auto sb = spawn(server, "test/python:3");
  // A wheel made here, by hand: a zip with the package and its dist-info.
  hive::test::TempDir local;
  const std::string wheel = local.path() + "/hive_probe-1.0-py3-none-any.whl";
  auto made = hive::test::run(
      {"/usr/bin/python3", "-c",
       "import sys, zipfile\n"
       "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
       "    z.writestr('hive_probe/__init__.py', 'VALUE = 42\\n')\n"
       "    d = 'hive_probe-1.0.dist-info/'\n"
       "    z.writestr(d + 'METADATA', 'Metadata-Version: 2.1\\nName: hive-probe\\nVersion: "
       "1.0\\n')\n"
       "    z.writestr(d + 'WHEEL', 'Wheel-Version: 1.0\\nGenerator: hive\\nRoot-Is-Purelib: "
       "true\\nTag: py3-none-any\\n')\n"
       "    z.writestr(d + 'RECORD', '')\n",
       wheel});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  REQUIRE(server.hivectl({"cp", wheel, sb.id + ":/workspace/"}).exit_code == 0);
  auto installed = sb.sh(
      "python3 -m pip install --no-index --break-system-packages --root-user-action=ignore "
      "/workspace/hive_probe-1.0-py3-none-any.whl >/tmp/pip.log 2>&1 || cat /tmp/pip.log; "
      "cd / && python3 -c 'import hive_probe, sys; print(hive_probe.VALUE, sys.version_info[0])'");
  INFO(installed.err);
  CHECK(installed.out == "42 3\n");
  // Installed into the sandbox's own upper layer: another sandbox of the image has no trace.
  auto other = spawn(server, "test/python:3");
  CHECK(other.sh("python3 -c 'import hive_probe' 2>/dev/null || echo absent").out == "absent\n");
}

TEST_CASE("a full disk fails a pull and a load with the reason, and keeps nothing", "[images]") {
  TestRegistry registry;
  TestServer server;
  // The image store on 600 KiB: less than a busybox layer, far less than the Python image's
  // archive. (Mounted over the running server's images/, with its three directories.)
  const std::string store = server.state_dir() + "/images";
  const std::string tmp = store + "/tmp";
  REQUIRE(
      hive::test::run({"/bin/mount", "-t", "tmpfs", "-o", "size=600k,mode=0700", "tmpfs", store})
          .exit_code == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { hive::test::run({"/bin/umount", "-l", path}); }
  } unmount{store};
  for (const char* sub : {"/blobs", "/layers", "/tmp"}) fs::create_directory(store + sub);
  auto pulled = server.hivectl({"image", "pull", registry.host() + "/test/busybox:multi"});
  CHECK(pulled.exit_code != 0);
  CHECK_THAT(pulled.err, Catch::Contains("No space left on device"));
  auto loaded = server.hivectl({"image", "load", "-i", hive::test::python_image_archive()});
  CHECK(loaded.exit_code != 0);
  CHECK_THAT(loaded.err, Catch::Contains("No space left on device"));
  CHECK(trim(server.hivectl({"image", "ls", "-o", "name"}).out).empty());
  // Layers that were whole before the disk filled stay (a pull again reuses them); the one
  // cut off is not among them.
  CHECK(layer_dirs(server).size() < 3);
  CHECK(fs::is_empty(tmp));
  // Room again: the same pull completes.
  hive::test::run({"/bin/umount", "-l", store});
  auto again = server.hivectl({"image", "pull", registry.host() + "/test/busybox:multi"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(layer_dirs(server).size() == 3);
}
