// ImageStore's pull: resolve the manifest (choosing this machine's platform from an index),
// fetch the config, then each layer once.
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "common/unique_fd.hpp"
#include "images/image_store.hpp"
#include "images/layer_unpack.hpp"
#include "images/manifest.hpp"

namespace hive::server::images {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kLayerWorkers = 4;

Result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return sys_error("open", path, errno);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

}  // namespace

Result<Image> ImageStore::pull_uncached(const ImageRef& ref, const PullProgress& progress) {
  auto emit = [&](const PullEvent& e) {
    if (progress) progress(e);
  };
  emit({ref.canonical(), "resolving"});
  auto manifest = resolve_manifest(registry_, ref);
  if (!manifest) return manifest.error();
  const std::vector<json>& layers = manifest->layers;
  // The config: small, kept as a blob beside the manifest.
  const std::string config_path = options_.dir + "/blobs/" + manifest->config_digest.substr(7);
  if (!fs::exists(config_path)) {
    const std::string tmp = tmp_path("config");
    auto got = registry_.blob(ref, manifest->config_digest, tmp, kMaxConfigBytes, {});
    if (!got) return got.error().context("pulling " + ref.canonical() + ", its config");
    if (rename(tmp.c_str(), config_path.c_str()) != 0) {
      const int err = errno;
      std::error_code ec;
      fs::remove(tmp, ec);
      return sys_error("rename", config_path, err);
    }
  }
  auto config_text = read_small_file(config_path);
  if (!config_text) return config_text.error();
  auto config = parse_config(ref.canonical(), *config_text);
  if (!config) return config.error();
  // Layers, up to kLayerWorkers at once; the first failure is the answer.
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::optional<Error> failure;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < layers.size();) {
      auto r = ensure_layer(ref, layers[i], progress);
      if (!r) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = r.error();
        next = layers.size();
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < kLayerWorkers && static_cast<std::size_t>(i) < layers.size(); ++i) {
    workers.emplace_back(worker);
  }
  for (auto& t : workers) t.join();
  if (failure) return *failure;

  auto image = record(ref.canonical(), *manifest, *config);
  if (!image) return image.error();
  emit({image->name, "pulled"});
  return image;
}
Result<void> ImageStore::ensure_layer(const ImageRef& ref, const json& descriptor,
                                      const PullProgress& progress) {
  const std::string digest = descriptor["digest"];
  const std::int64_t size = descriptor.value("size", std::int64_t{0});
  if (fs::is_directory(layer_dir(digest))) {
    if (progress) progress({digest, "exists", size, size});
    return {};
  }
  return layer_pulls_.run(
      digest,
      [&]() -> Result<void> {
        // Another pull may have finished it between the check above and here.
        if (fs::is_directory(layer_dir(digest))) return {};
        return fetch_layer(ref, digest, size, progress);
      },
      [&] {
        if (progress) progress({digest, "waiting", 0, size});
      });
}

Result<void> ImageStore::fetch_layer(const ImageRef& ref, const std::string& digest,
                                     std::int64_t size, const PullProgress& progress) {
  const std::string blob = tmp_path(digest.substr(7) + ".blob");
  auto last = std::chrono::steady_clock::now();
  const std::int64_t limit = size > 0 ? size : options_.max_layer_bytes;
  auto got = registry_.blob(ref, digest, blob, limit, [&](std::int64_t bytes) {
    auto now = std::chrono::steady_clock::now();
    if (progress && now - last > std::chrono::milliseconds(200)) {
      last = now;
      progress({digest, "downloading", bytes, size});
    }
  });
  if (!got) {
    std::error_code ec;
    fs::remove(blob, ec);
    return got.error();
  }
  if (progress) progress({digest, "unpacking", *got, size});
  UniqueFd blob_fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  const int open_errno = errno;
  std::error_code ec;
  fs::remove(blob, ec);  // the open file is all the unpacker needs
  if (!blob_fd.valid()) return sys_error("open", blob, open_errno);
  if (auto r = install_layer(ref.canonical(), digest, blob_fd.get()); !r) return r;
  if (progress) progress({digest, "done", *got, size});
  return {};
}

Result<void> ImageStore::install_layer(const std::string& image, const std::string& digest,
                                       int blob_fd) {
  const std::string dir = tmp_path(digest.substr(7) + ".layer");
  auto stats = unpack_layer(options_.exe, blob_fd, dir, options_.max_layer_bytes);
  std::error_code ec;
  if (!stats) {
    fs::remove_all(dir, ec);
    return stats.error().context("image " + image + ", layer " + digest);
  }
  if (stats->dropped_devices > 0) {
    spdlog::info("image {}: layer {} had {} device nodes or sockets, left out", image, digest,
                 stats->dropped_devices);
  }
  if (rename(dir.c_str(), layer_dir(digest).c_str()) != 0 && errno != ENOTEMPTY &&
      errno != EEXIST) {
    int err = errno;
    fs::remove_all(dir, ec);
    return sys_error("rename", layer_dir(digest), err);
  }
  fs::remove_all(dir, ec);  // when another copy won the rename
  std::lock_guard lock(mutex_);
  layer_bytes_[digest.substr(7)] = stats->bytes;
  return {};
}

Result<Image> ImageStore::record(const std::string& name, const ImageManifest& manifest,
                                 const nlohmann::json& config) {
  Image image;
  image.name = name;
  image.digest = manifest.digest;
  image.config_digest = manifest.config_digest;
  image.platform = manifest.platform;
  for (const auto& layer : manifest.layers) {
    image.layers.push_back(layer["digest"]);
    image.size += layer.value("size", std::int64_t{0});
  }
  image.config = config_from_json(config);
  image.pulled_at = now_rfc3339();
  image.last_used_at = image.pulled_at;
  std::ofstream(options_.dir + "/blobs/" + manifest.digest.substr(7)) << manifest.body;
  std::lock_guard lock(mutex_);
  for (const auto& layer : image.layers) {
    if (!fs::is_directory(layer_dir(layer))) {  // pruned meanwhile: the pull is not done
      return make_error(Errc::conflict, "image " + image.name +
                                            ": a layer was removed by a prune meanwhile; "
                                            "try again");
    }
  }
  if (auto old = images_.find(image.name); old != images_.end()) image.users = old->second.users;
  images_[image.name] = image;
  evict_locked(image.name);
  if (auto r = save_index_locked(); !r) return r.error();
  return image;
}

}  // namespace hive::server::images
