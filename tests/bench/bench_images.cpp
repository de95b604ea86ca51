// Images: spawn from a cached image beside image "host", and a cold pull + unpack of a ~200 MB,
// 5-layer image beside its floor, skopeo copy + umoci unpack of the same image from the same
// loopback registry in the same run. Then the shapes trainers bring: 100 concurrent spawns of
// one uncached image (each blob should be fetched once: counted in the registry's log), and an
// RL step of 20 task images x 10 sandboxes, cold and then cached.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

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

// Spawns every spec at once from `clients` threads; the wall time in seconds and the failures.
std::pair<double, int> spawn_all(test::TestServer& server,
                                 const std::vector<sandbox::SandboxSpec>& specs, int clients,
                                 std::vector<std::string>& made) {
  std::atomic<std::size_t> next{0};
  std::atomic<int> failed{0};
  std::mutex mutex;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      auto client = server.client();
      for (std::size_t i; (i = next++) < specs.size();) {
        auto sb = client.spawn(specs[i]);
        if (!sb) {
          if (failed++ == 0) std::printf("spawn: %s\n", sb.error().message.c_str());
          continue;
        }
        std::lock_guard lock(mutex);
        made.push_back(sb->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {seconds, failed.load()};
}

void deprovision_all(test::TestServer& server, std::vector<std::string>& ids) {
  auto client = server.client();
  for (const auto& id : ids) (void)client.deprovision(id);
  ids.clear();
}

// 100 spawns of one image nobody has pulled, all at once.
void bench_concurrent_cold(test::TestRegistry& registry) {
  test::TestServer server;
  const std::string image = registry.host() + "/test/busybox-zstd:multi";
  sandbox::SandboxSpec spec;
  spec.image = image;
  std::vector<std::string> made;
  auto [seconds, failed] = spawn_all(server, std::vector(100, spec), 100, made);
  int most = 0, layers = 0;
  if (auto info = server.client().get_image(image)) {
    for (const auto& layer : (*info)["layers"]) {
      most = std::max(most, registry.blob_gets(layer.get<std::string>()));
      ++layers;
    }
  }
  std::printf(
      "100 concurrent spawns of one uncached 3-layer image: %.2f s wall, %d failed; each "
      "of its %d layer blobs fetched at most %d time(s) (registry log)\n",
      seconds, failed, layers, most);
  deprovision_all(server, made);
}

// An RL step: 20 task images (a shared base layer and one of their own) x 10 sandboxes each,
// 200 spawns from 32 clients; then the same step again with every image cached.
void bench_rl_step(test::TestRegistry& registry) {
  constexpr int kImages = 20, kPerImage = 10;
  test::TempDir dir;
  auto made_images = test::run({"/usr/bin/python3",
                                std::string(HIVE_SOURCE_DIR) + "/tests/bench/make_task_images.py",
                                dir.path(), std::to_string(kImages)});
  std::vector<sandbox::SandboxSpec> specs;
  for (int i = 0; i < kImages; ++i) {
    const std::string image = registry.host() + "/tasks/t" + std::to_string(i) + ":1";
    auto pushed =
        test::run({"/usr/bin/skopeo", "copy", "--dest-tls-verify=false",
                   "oci:" + dir.path() + "/oci:task" + std::to_string(i), "docker://" + image});
    if (made_images.exit_code != 0 || pushed.exit_code != 0) {
      std::printf("the task images could not be made: %s%s\n", made_images.err.c_str(),
                  pushed.err.c_str());
      return;
    }
    for (int k = 0; k < kPerImage; ++k) specs.emplace_back().image = image;
  }
  test::TestServer server;
  std::vector<std::string> made;
  auto [cold, cold_failed] = spawn_all(server, specs, 32, made);
  deprovision_all(server, made);
  auto [cached, cached_failed] = spawn_all(server, specs, 32, made);
  deprovision_all(server, made);
  std::printf(
      "RL step, %d images x %d sandboxes from 32 clients: cold %.2f s (%d failed), "
      "cached %.2f s (%d failed): %.1fx\n",
      kImages, kPerImage, cold, cold_failed, cached, cached_failed, cold / cached);
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
  std::printf("\n");
  bench_concurrent_cold(registry);
  bench_rl_step(registry);
}

}  // namespace hive::bench
