// ImageStore's pull: resolve the manifest (choosing this machine's platform from an index),
// fetch the config, then each layer once.
#include <sys/stat.h>
#include <sys/utsname.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "images/image_store.hpp"
#include "images/layer_unpack.hpp"

namespace hive::server::images {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kLayerWorkers = 4;
constexpr std::int64_t kMaxConfigBytes = 8 << 20;

// The platform images are chosen for: this machine's, in the OCI index's words.
std::string host_platform() {
  utsname name{};
  uname(&name);
  std::string machine = name.machine;
  if (machine == "x86_64") return "linux/amd64";
  if (machine == "aarch64") return "linux/arm64";
  if (machine.rfind("armv7", 0) == 0) return "linux/arm/v7";
  if (machine == "i686" || machine == "i386") return "linux/386";
  return "linux/" + machine;
}

Error bad_image(const ImageRef& ref, const std::string& why) {
  return make_error(Errc::invalid_argument, "image " + ref.canonical() + ": " + why);
}

bool is_index_type(const std::string& type) {
  return type == "application/vnd.oci.image.index.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool is_manifest_type(const std::string& type) {
  return type == "application/vnd.oci.image.manifest.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.v2+json";
}

Result<std::string> check_digest(const ImageRef& ref, const json& d, const std::string& what) {
  if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string() ||
      !is_sha256_digest(d["digest"].get<std::string>())) {
    return bad_image(ref, what + " has no sha256 digest");
  }
  if (d.contains("size") && (!d["size"].is_number_integer() || d["size"].get<std::int64_t>() < 0)) {
    return bad_image(ref, what + " has an invalid size");
  }
  return d["digest"].get<std::string>();
}

std::string platform_text(const json& platform) {
  if (!platform.is_object()) return "unknown";
  std::string text = platform.value("os", "?") + "/" + platform.value("architecture", "?");
  std::string variant = platform.value("variant", "");
  return variant.empty() ? text : text + "/" + variant;
}

// The entry of an index for this machine ("linux/amd64"; "linux/arm64" also matches an entry
// with variant v8), or an error listing what the index offers.
Result<std::string> choose_platform(const ImageRef& ref, const json& index,
                                    const std::string& wanted) {
  if (!index.contains("manifests") || !index["manifests"].is_array()) {
    return bad_image(ref, "its index lists no manifests");
  }
  std::vector<std::string> offered;
  for (const auto& entry : index["manifests"]) {
    if (!entry.is_object()) continue;
    std::string platform = platform_text(entry.value("platform", json::object()));
    if (platform == wanted || platform == wanted + "/v8")
      return check_digest(ref, entry, "an index entry");
    if (platform.find("unknown") == std::string::npos) offered.push_back(platform);
  }
  std::string list;
  for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p;
  return make_error(Errc::invalid_argument, "image " + ref.canonical() + " has no " + wanted +
                                                " variant; it offers " +
                                                (list.empty() ? std::string("none") : list));
}

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
  const std::string pulling = "pulling " + ref.canonical();
  auto fetched = registry_.manifest(ref, ref.reference());
  if (!fetched) return fetched.error().context(pulling);
  auto body = json::parse(fetched->body, nullptr, false);
  if (!body.is_object()) return bad_image(ref, "its manifest is not JSON");
  std::string platform = host_platform();
  if (is_index_type(fetched->media_type) ||
      (fetched->media_type.empty() && body.contains("manifests"))) {
    auto chosen = choose_platform(ref, body, platform);
    if (!chosen) return chosen.error();
    fetched = registry_.manifest(ref, *chosen);
    if (!fetched) return fetched.error().context(pulling);
    body = json::parse(fetched->body, nullptr, false);
    if (!body.is_object()) return bad_image(ref, "its " + platform + " manifest is not JSON");
  }
  if (body.value("schemaVersion", 0) != 2 ||
      !(is_manifest_type(fetched->media_type) || fetched->media_type.empty())) {
    return bad_image(
        ref, "its manifest (" +
                 (fetched->media_type.empty()
                      ? std::string("schema ") + std::to_string(body.value("schemaVersion", 0))
                      : fetched->media_type) +
                 ") is not an OCI or Docker schema 2 image manifest");
  }
  if (!body.contains("layers") || !body["layers"].is_array())
    return bad_image(ref, "its manifest lists no layers");
  auto config_digest = check_digest(ref, body.value("config", json::object()), "its config");
  if (!config_digest) return config_digest.error();
  std::vector<json> layers;
  for (const auto& layer : body["layers"]) {
    if (auto d = check_digest(ref, layer, "a layer"); !d) return d.error();
    std::string type = layer.value("mediaType", "");
    if (type.find("tar") == std::string::npos || type.find("encrypted") != std::string::npos) {
      return bad_image(ref, "layer " + layer["digest"].get<std::string>() + " is of type '" + type +
                                "', not a tar layer");
    }
    layers.push_back(layer);
  }
  // The config: small, kept as a blob beside the manifest.
  const std::string config_path = options_.dir + "/blobs/" + config_digest->substr(7);
  if (!fs::exists(config_path)) {
    const std::string tmp = tmp_path("config");
    auto got = registry_.blob(ref, *config_digest, tmp, kMaxConfigBytes, {});
    if (!got) return got.error().context(pulling + ", its config");
    if (rename(tmp.c_str(), config_path.c_str()) != 0)
      return sys_error("rename", config_path, errno);
  }
  auto config_text = read_small_file(config_path);
  if (!config_text) return config_text.error();
  auto config = json::parse(*config_text, nullptr, false);
  if (!config.is_object()) return bad_image(ref, "its config is not JSON");
  if (config.value("os", "linux") != "linux") {
    return bad_image(ref, "it is a " + config.value("os", "") + " image, not linux");
  }
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

  Image image;
  image.name = ref.canonical();
  image.digest = fetched->digest;
  image.config_digest = *config_digest;
  image.platform = platform;
  for (const auto& layer : layers) {
    image.layers.push_back(layer["digest"]);
    image.size += layer.value("size", std::int64_t{0});
  }
  image.config = config_from_json(config);
  image.pulled_at = now_rfc3339();
  image.last_used_at = image.pulled_at;
  {
    std::ofstream(options_.dir + "/blobs/" + fetched->digest.substr(7)) << fetched->body;
    std::lock_guard lock(mutex_);
    for (const auto& layer : image.layers) {
      if (!fs::is_directory(layer_dir(layer))) {  // pruned meanwhile: the pull is not done
        return make_error(Errc::conflict, "image " + image.name +
                                              ": a layer was removed by a prune during the pull; "
                                              "pull again");
      }
    }
    if (auto old = images_.find(image.name); old != images_.end()) image.users = old->second.users;
    images_[image.name] = image;
    evict_locked(image.name);
    if (auto r = save_index_locked(); !r) return r.error();
  }
  emit({image.name, "pulled"});
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
  const std::string dir = tmp_path(digest.substr(7) + ".layer");
  auto stats = unpack_layer(options_.exe, blob, dir, options_.max_layer_bytes);
  std::error_code ec;
  fs::remove(blob, ec);
  if (!stats) {
    fs::remove_all(dir, ec);
    return stats.error().context("image " + ref.canonical() + ", layer " + digest);
  }
  if (stats->dropped_devices > 0) {
    spdlog::info("image {}: layer {} had {} device nodes or sockets, left out", ref.canonical(),
                 digest, stats->dropped_devices);
  }
  if (rename(dir.c_str(), layer_dir(digest).c_str()) != 0 && errno != ENOTEMPTY &&
      errno != EEXIST) {
    int err = errno;
    fs::remove_all(dir, ec);
    return sys_error("rename", layer_dir(digest), err);
  }
  fs::remove_all(dir, ec);  // when another copy won the rename
  {
    std::lock_guard lock(mutex_);
    layer_bytes_[digest.substr(7)] = stats->bytes;
  }
  if (progress) progress({digest, "done", *got, size});
  return {};
}

}  // namespace hive::server::images
