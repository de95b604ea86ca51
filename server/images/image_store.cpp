#include "images/image_store.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/ids.hpp"

namespace hive::server::images {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string hex_of(const std::string& digest) { return digest.substr(7); }

std::vector<std::string> strings_of(const json& config, const char* key) {
  std::vector<std::string> out;
  if (!config.contains(key) || !config[key].is_array()) return out;
  for (const auto& item : config[key]) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

ImageConfig config_from_json(const json& image_config) {
  ImageConfig config;
  if (!image_config.contains("config") || !image_config["config"].is_object()) return config;
  const json& c = image_config["config"];
  config.env = strings_of(c, "Env");
  config.entrypoint = strings_of(c, "Entrypoint");
  config.cmd = strings_of(c, "Cmd");
  if (c.contains("WorkingDir") && c["WorkingDir"].is_string()) config.workdir = c["WorkingDir"];
  if (c.contains("User") && c["User"].is_string()) config.user = c["User"];
  return config;
}

std::vector<std::string> start_command(const ImageConfig& config) {
  std::vector<std::string> argv = config.entrypoint;
  argv.insert(argv.end(), config.cmd.begin(), config.cmd.end());
  return argv;
}

namespace {

json config_json(const ImageConfig& c) {
  return {{"env", c.env},
          {"workdir", c.workdir},
          {"user", c.user},
          {"entrypoint", c.entrypoint},
          {"cmd", c.cmd}};
}

Image image_from(const json& j) {
  Image image;
  image.name = j.value("name", "");
  image.digest = j.value("digest", "");
  image.config_digest = j.value("config_digest", "");
  image.platform = j.value("platform", "");
  image.layers = j.value("layers", std::vector<std::string>{});
  image.size = j.value("size", std::int64_t{0});
  image.pulled_at = j.value("pulled_at", "");
  image.last_used_at = j.value("last_used_at", image.pulled_at);
  if (j.contains("config") && j["config"].is_object()) {
    const json& c = j["config"];
    image.config.env = c.value("env", std::vector<std::string>{});
    image.config.workdir = c.value("workdir", "");
    image.config.user = c.value("user", "");
    image.config.entrypoint = c.value("entrypoint", std::vector<std::string>{});
    image.config.cmd = c.value("cmd", std::vector<std::string>{});
  }
  return image;
}

std::int64_t disk_usage(const std::string& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) == 0) total += st.st_blocks * 512;
  }
  return total;
}

}  // namespace

json to_json(const Image& image) {
  return {{"name", image.name},
          {"digest", image.digest},
          {"id", image.config_digest},
          {"platform", image.platform},
          {"layers", image.layers},
          {"size", image.size},
          {"config", config_json(image.config)},
          {"pulled_at", image.pulled_at},
          {"last_used_at", image.last_used_at},
          {"in_use_by", image.users}};
}

ImageStore::ImageStore(ImageStoreOptions options)
    : options_(std::move(options)), registry_(options_.registry) {}

Result<std::unique_ptr<ImageStore>> ImageStore::open(ImageStoreOptions options) {
  std::unique_ptr<ImageStore> store(new ImageStore(std::move(options)));
  const std::string& dir = store->options_.dir;
  std::error_code ec;
  // What a pull cut off by a crash left is never used: it is all under tmp/.
  fs::remove_all(dir + "/tmp", ec);
  for (const char* sub : {"", "/layers", "/blobs", "/tmp"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) return sys_error("mkdir", dir + sub, ec.value());
  }
  // Layers hold the images' setuid files and devices' owners as they are: the host's other
  // users must not reach them.
  fs::permissions(dir, fs::perms::owner_all, ec);
  if (auto r = store->load_index(); !r) return r.error();
  return store;
}

Result<void> ImageStore::load_index() {
  std::ifstream in(options_.dir + "/images.json");
  if (!in) return {};
  auto index = json::parse(in, nullptr, false);
  if (!index.is_object() || !index.contains("images") || !index["images"].is_array()) {
    spdlog::warn("images: {}/images.json is unreadable; starting with no images", options_.dir);
    return {};
  }
  for (const auto& j : index["images"]) {
    if (!j.is_object()) continue;
    Image image = image_from(j);
    bool complete = !image.name.empty();
    for (const auto& layer : image.layers)
      complete = complete && fs::is_directory(layer_dir(layer));
    if (complete) images_[image.name] = std::move(image);
  }
  if (index.contains("layer_bytes") && index["layer_bytes"].is_object()) {
    for (const auto& [hex, bytes] : index["layer_bytes"].items()) {
      if (bytes.is_number_integer()) layer_bytes_[hex] = bytes.get<std::int64_t>();
    }
  }
  return {};
}

Result<void> ImageStore::save_index_locked() const {
  json list = json::array();
  for (const auto& [name, image] : images_) {
    json j = to_json(image);
    j["config_digest"] = image.config_digest;
    j.erase("in_use_by");  // known again at start from the sandboxes adopted
    list.push_back(std::move(j));
  }
  const std::string path = options_.dir + "/images.json";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json{{"images", list}, {"layer_bytes", layer_bytes_}}.dump();
    if (!out.flush()) return sys_error("write", tmp, errno);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return sys_error("rename", path, errno);
  return {};
}

std::string ImageStore::layer_dir(const std::string& digest) const {
  return options_.dir + "/layers/" + hex_of(digest);
}

std::string ImageStore::tmp_path(const std::string& what) {
  std::lock_guard lock(mutex_);
  return options_.dir + "/tmp/" + what + "." + std::to_string(++next_tmp_);
}

Result<Image> ImageStore::pull(const std::string& text, const PullProgress& progress) {
  auto ref = parse_reference(text);
  if (!ref) return ref.error();
  const std::string key = ref->canonical();
  return image_pulls_.run(
      key, [&] { return pull_uncached(*ref, progress); },
      [&] {
        if (progress) progress({key, "waiting for another pull"});
      });
}

Result<Image> ImageStore::ensure(const std::string& text, PullPolicy policy,
                                 const PullProgress& progress) {
  if (policy != PullPolicy::always) {
    auto cached = find(text);
    if (cached || policy == PullPolicy::never) return cached;
  }
  return pull(text, progress);
}

Result<Image> ImageStore::find(const std::string& text) const {
  std::lock_guard lock(mutex_);
  if (auto ref = parse_reference(text); ref) {
    auto it = images_.find(ref->canonical());
    if (it != images_.end()) return it->second;
  }
  // An image's id (its config digest, whole or its first 12+ hex digits) or its digest.
  std::string id = text.rfind("sha256:", 0) == 0 ? text.substr(7) : text;
  if (id.size() >= 12) {
    for (const auto& [name, image] : images_) {
      if (image.config_digest.compare(7, id.size(), id) == 0 || image.digest == text) return image;
    }
  }
  return make_error(
      Errc::not_found,
      "image '" + text + "' is not on this server; 'hivectl image pull " + text + "' fetches it");
}

std::vector<Image> ImageStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Image> out;
  for (const auto& [name, image] : images_) out.push_back(image);
  return out;
}

Result<Image> ImageStore::remove(const std::string& text) {
  auto image = find(text);
  if (!image) return image;
  std::lock_guard lock(mutex_);
  auto it = images_.find(image->name);
  if (it == images_.end()) return image;  // removed meanwhile
  if (!it->second.users.empty()) {
    std::string ids;
    for (const auto& id : it->second.users) ids += (ids.empty() ? "" : ", ") + id;
    return make_error(Errc::conflict, "image " + image->name + " is in use by " + ids +
                                          "; deprovision those sandboxes first");
  }
  images_.erase(it);
  if (auto r = save_index_locked(); !r) return r.error();
  return image;
}

Result<std::int64_t> ImageStore::prune() {
  std::lock_guard lock(mutex_);
  return remove_unused_layers_locked();
}

Result<std::int64_t> ImageStore::remove_unused_layers_locked() {
  std::set<std::string> used;
  for (const auto& [name, image] : images_) {
    for (const auto& layer : image.layers) used.insert(layer.substr(7));
  }
  for (const auto& digest : layer_pulls_.keys()) used.insert(digest.substr(7));
  std::int64_t freed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(layers_root(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string hex = it->path().filename().string();
    if (used.count(hex) != 0) continue;
    freed += disk_usage(it->path().string());
    std::error_code removed;
    fs::remove_all(it->path(), removed);
    if (removed) return sys_error("remove", it->path().string(), removed.value());
    layer_bytes_.erase(hex);
  }
  if (auto r = save_index_locked(); !r) return r.error();
  return freed;
}

void ImageStore::evict_locked(const std::string& keep) {
  if (options_.cache_bytes <= 0) return;
  auto cached_bytes = [&] {
    std::set<std::string> layers;
    for (const auto& [name, image] : images_) {
      for (const auto& layer : image.layers) layers.insert(layer.substr(7));
    }
    std::int64_t total = 0;
    for (const auto& hex : layers) total += layer_bytes_.count(hex) ? layer_bytes_[hex] : 0;
    return total;
  };
  bool evicted = false;
  while (cached_bytes() > options_.cache_bytes) {
    auto victim = images_.end();
    for (auto it = images_.begin(); it != images_.end(); ++it) {
      if (it->first == keep || !it->second.users.empty()) continue;
      if (victim == images_.end() || it->second.last_used_at < victim->second.last_used_at) {
        victim = it;
      }
    }
    if (victim == images_.end()) {
      spdlog::warn(
          "images: {} bytes cached, over --image-cache-size {}, and every other image "
          "is in use",
          cached_bytes(), options_.cache_bytes);
      break;
    }
    spdlog::info("images: evicting {} (last used {}): the cache is over --image-cache-size",
                 victim->first, victim->second.last_used_at);
    images_.erase(victim);
    evicted = true;
  }
  if (!evicted) return;
  if (auto freed = remove_unused_layers_locked(); !freed) {
    spdlog::warn("images: evicting: {}", freed.error().message);
  }
}

void ImageStore::add_user(const std::string& name, const std::string& sandbox_id) {
  std::lock_guard lock(mutex_);
  auto it = images_.find(name);
  if (it == images_.end()) return;
  it->second.users.insert(sandbox_id);
  it->second.last_used_at = now_rfc3339();  // in memory: saved with the next change
}

void ImageStore::remove_user(const std::string& sandbox_id) {
  std::lock_guard lock(mutex_);
  for (auto& [name, image] : images_) image.users.erase(sandbox_id);
}

}  // namespace hive::server::images
