// The local runtime's images: pulled over the distribution API, kept content-addressed under
// STATE/images, each layer unpacked once into its own read-only directory that every image and
// sandbox using it shares (as overlayfs lower layers). docs/images.md has the layout.
//
// Pulls of the same image, and of the same layer by different images, share one download;
// different images pull in parallel, and layers of one image up to four at a time. Nothing
// half-done looks done: blobs and layers are made under tmp/ and renamed into place, and
// tmp/ is emptied at start, so a pull cut off by a crash is simply redone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"
#include "images/manifest.hpp"
#include "images/reference.hpp"
#include "images/registry_client.hpp"
#include "images/single_flight.hpp"

namespace hive::server::images {

// What of an image's config a sandbox uses (the OCI image config's "config" object).
struct ImageConfig {
  std::vector<std::string> env;  // "K=V"
  std::string workdir, user;
  std::vector<std::string> entrypoint, cmd;
};

// The OCI image config's "config" object, as much of it as a sandbox uses.
ImageConfig config_from_json(const nlohmann::json& image_config);

// What a spawn with "start" runs: the Entrypoint, then the Cmd as its arguments (or as the
// command when there is no Entrypoint), as `docker run` joins them. Empty when both are.
std::vector<std::string> start_command(const ImageConfig& config);

struct Image {
  std::string name;    // canonical: "docker.io/library/python:3.12"
  std::string digest;  // of the manifest pulled (the platform's, under an index)
  std::string config_digest;
  std::string platform;             // "linux/amd64"
  std::vector<std::string> layers;  // layer blob digests, bottom first
  std::int64_t size = 0;            // the layers' blobs, compressed, as the registry serves them
  ImageConfig config;
  std::string pulled_at;
  std::string last_used_at;     // pulled, or last given to a sandbox: eviction goes oldest first
  std::set<std::string> users;  // sandboxes whose root is made of it
};

nlohmann::json to_json(const Image& image);

// One step of a pull, as `docker pull` shows it: status "resolving", "downloading" (current,
// total), "unpacking", "exists", "done" per layer (id is its digest), then "pulled" for the
// image (id is its name).
struct PullEvent {
  std::string id, status;
  std::int64_t current = 0, total = 0;
};
using PullProgress = std::function<void(const PullEvent&)>;

enum class PullPolicy { missing, always, never };

struct ImageStoreOptions {
  std::string dir;  // STATE/images
  std::string exe;  // hive-server, run as the layer unpacker
  RegistryOptions registry;
  std::int64_t max_layer_bytes = 64LL << 30;  // unpacked content of one layer
  // The layers' unpacked content kept at most (0: no bound). Past it, after a pull, the
  // images no sandbox runs on go, least recently used first, and then their unshared layers.
  std::int64_t cache_bytes = 0;
};

class ImageStore {
 public:
  static Result<std::unique_ptr<ImageStore>> open(ImageStoreOptions options);

  // Records the images of a `docker save` tar or an OCI archive at archive_path (which it
  // removes), named as the archive names them or, for an archive of one image, `tag`.
  Result<std::vector<Image>> load(const std::string& archive_path, const std::string& tag);
  // Where an upload of an archive to load goes (under tmp/, emptied at start).
  std::string upload_path() { return tmp_path("upload"); }
  std::int64_t max_archive_bytes() const { return options_.max_layer_bytes; }
  // Cuts off the pulls under way (each fails, storing nothing) and refuses new ones: a server
  // stopping then waits for no registry.
  void stop_pulls() { registry_.cancel(); }
  // Pulls `text` (a reference) whatever is cached, and records it.
  Result<Image> pull(const std::string& text, const PullProgress& progress = {});
  // The image a reference names here, pulled first as the policy says (the spawn's path).
  Result<Image> ensure(const std::string& text, PullPolicy policy,
                       const PullProgress& progress = {});
  // A cached image by reference, name or digest; not_found (naming `image pull`) otherwise.
  Result<Image> find(const std::string& text) const;
  std::vector<Image> list() const;
  // Forgets an image; its layers go when no other image uses them. Refused (conflict) while a
  // sandbox runs on it.
  Result<Image> remove(const std::string& text);
  // Removes every layer no image uses, and returns how many bytes of disk that freed.
  Result<std::int64_t> prune();

  // A sandbox's root is made of this image now / no more (remove refuses meanwhile). Kept in
  // memory: at start the runtime tells again of each sandbox it adopts.
  void add_user(const std::string& name, const std::string& sandbox_id);
  void remove_user(const std::string& sandbox_id);

  std::string layer_dir(const std::string& digest) const;  // dir/layers/<hex>
  std::string layers_root() const { return options_.dir + "/layers"; }

 private:
  explicit ImageStore(ImageStoreOptions options);
  Result<void> load_index();
  Result<void> save_index_locked() const;
  // Removes the layers no image uses and none is pulling; the bytes of disk freed.
  Result<std::int64_t> remove_unused_layers_locked();
  // Forgets images, least recently used first, until the cache fits (never `keep`).
  void evict_locked(const std::string& keep);
  Result<Image> pull_uncached(const ImageRef& ref, const PullProgress& progress);
  Result<void> ensure_layer(const ImageRef& ref, const nlohmann::json& descriptor,
                            const PullProgress& progress);
  Result<void> fetch_layer(const ImageRef& ref, const std::string& digest, std::int64_t size,
                           const PullProgress& progress);
  // Unpacks a verified layer blob into layers/, once; remembers its unpacked size.
  Result<void> install_layer(const std::string& image, const std::string& digest, int blob_fd);
  // Records an image whose layers are all in place (a prune may have raced: conflict).
  Result<Image> record(const std::string& name, const ImageManifest& manifest,
                       const nlohmann::json& config);
  std::string tmp_path(const std::string& what);

  ImageStoreOptions options_;
  RegistryClient registry_;
  mutable std::mutex mutex_;
  std::map<std::string, Image> images_;              // by name
  std::map<std::string, std::int64_t> layer_bytes_;  // unpacked content, by the digest's hex
  SingleFlight<Image> image_pulls_;                  // by canonical name
  SingleFlight<void> layer_pulls_;                   // by layer digest
  std::uint64_t next_tmp_ = 0;
};

}  // namespace hive::server::images
