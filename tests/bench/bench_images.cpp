// Images: spawn from a cached image beside image "host", and a cold pull + unpack of a ~200 MB,
// 5-layer image beside its floor, skopeo copy + umoci unpack of the same image from the same
// loopback registry in the same run.
#include <filesystem>

#include "bench.hpp"
#include "registry.hpp"

namespace hive::bench {
namespace {

Micros pull_cold(test::TestServer& server, const std::string& image, int n) {
  auto client = server.client();
  return measure(n, [&] {
    (void)client.remove_image(image);
    (void)client.prune_images();
    if (auto r = client.pull_image(image); !r) std::printf("pull: %s\n", r.error().message.c_str());
  });
}

Micros floor_skopeo_umoci(const std::string& image, int n) {
  return measure(n, [&] {
    test::TempDir dir;
    auto copied = test::run({"/usr/bin/skopeo", "copy", "--src-tls-verify=false",
                             "docker://" + image, "oci:" + dir.path() + "/oci:x"});
    auto unpacked = test::run(
        {"/usr/bin/umoci", "unpack", "--image", dir.path() + "/oci:x", dir.path() + "/bundle"});
    if (copied.exit_code != 0 || unpacked.exit_code != 0) {
      std::printf("floor: %s%s\n", copied.err.c_str(), unpacked.err.c_str());
    }
  });
}

}  // namespace

void bench_images(int spawns) {
  test::TestRegistry registry;
  test::TestServer server;
  auto client = server.client();
  const std::string small = registry.host() + "/test/busybox:root";
  (void)client.pull_image(small);
  sandbox::SandboxSpec from_image, from_host;
  from_image.image = small;
  std::vector<std::string> made;
  auto spawn_each = [&](const sandbox::SandboxSpec& spec) {
    return measure(spawns, [&] {
      if (auto sb = client.spawn(spec)) made.push_back(sb->id);
    });
  };
  Row host{"hive: spawn -> Running, image host", spawn_each(from_host)};
  Row image{"hive: spawn -> Running, cached 3-layer image", spawn_each(from_image)};
  for (const auto& id : made) (void)client.deprovision(id);

  // The big image, made and pushed here: too large for the tests' seeded registry.
  test::TempDir big_dir;
  auto made_big =
      test::run({"/usr/bin/python3",
                 std::string(HIVE_SOURCE_DIR) + "/tests/bench/make_big_image.py", big_dir.path()});
  const std::string big = registry.host() + "/bench/big:1";
  auto pushed = test::run({"/usr/bin/skopeo", "copy", "--dest-tls-verify=false",
                           "oci:" + big_dir.path() + "/oci:big", "docker://" + big});
  std::printf("\nImages (a loopback registry; floor: image host / skopeo copy + umoci unpack)\n");
  print({host, image}, host);
  if (made_big.exit_code != 0 || pushed.exit_code != 0) {
    std::printf("the ~200 MB image could not be made: %s%s\n", made_big.err.c_str(),
                pushed.err.c_str());
    return;
  }
  Row floor{"floor: skopeo copy + umoci unpack, 200 MB / 5 layers", floor_skopeo_umoci(big, 3)};
  Row pull{"hive: cold pull + unpack, 200 MB / 5 layers", pull_cold(server, big, 3)};
  print({floor, pull}, floor);
}

}  // namespace hive::bench
