// ImageStore's load: the images of a `docker save` tar or an OCI archive, for machines that
// cannot reach a registry. The archive is as hostile as a layer: the same confined child
// unpacks it, and every member is then opened through openat2(RESOLVE_IN_ROOT), so that no
// name or symlink in it reaches a file outside it. Every blob is checked against its digest
// (a docker save tar names none: there the digests are computed), and nothing is recorded
// until every image of the archive has been read.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/unique_fd.hpp"
#include "hive/sandbox/codec.hpp"
#include "images/image_store.hpp"
#include "images/layer_unpack.hpp"

namespace hive::server::images {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kMaxArchiveJsonBytes = 8 << 20;

// One image found in the archive, read and checked, not yet stored.
struct ArchiveImage {
  std::vector<std::string> names;  // canonical
  ImageManifest manifest;
  std::string config_text;  // its bytes, as its digest names them
  json config;
  std::vector<std::string> layer_members;  // beside manifest.layers
};

Error bad_archive(const std::string& why) {
  return make_error(Errc::invalid_argument, "image archive: " + why);
}

// A regular file of the unpacked archive; symlinks resolve as if its directory were "/".
Result<UniqueFd> open_member(int root, const std::string& name) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(syscall(SYS_openat2, root, name.c_str(), &how, sizeof how)));
  if (!fd.valid()) {
    if (errno == ENOENT) return bad_archive("it has no " + name + " inside it");
    return sys_error("open", "archive member " + name, errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error("stat", "archive member " + name, errno);
  if (!S_ISREG(st.st_mode)) return bad_archive(name + " is not a regular file");
  return fd;
}

Result<std::string> read_member(int root, const std::string& name) {
  auto fd = open_member(root, name);
  if (!fd) return fd.error();
  std::string text;
  char buffer[1 << 14];
  for (ssize_t n; (n = read(fd->get(), buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", "archive member " + name, errno);
    text.append(buffer, static_cast<std::size_t>(n));
    if (static_cast<std::int64_t>(text.size()) > kMaxArchiveJsonBytes) {
      return bad_archive(name + " is larger than " + std::to_string(kMaxArchiveJsonBytes) +
                         " bytes");
    }
  }
  return text;
}

// The digest and size of a member holding a layer.
Result<std::pair<std::string, std::int64_t>> member_digest(int root, const std::string& name) {
  auto fd = open_member(root, name);
  if (!fd) return fd.error();
  std::int64_t size = 0;
  auto digest = sha256_of_file(fd->get(), size);
  if (!digest) return digest.error();
  return std::pair{*digest, size};
}

// An OCI layout's blob, read whole and checked against its digest.
Result<std::string> read_blob(int root, const std::string& digest) {
  if (!is_sha256_digest(digest)) return bad_archive("a blob digest '" + digest + "' is not sha256");
  auto text = read_member(root, "blobs/sha256/" + digest.substr(7));
  if (!text) return text.error();
  if (sha256_of(*text) != digest) return bad_archive("blob " + digest + " does not match it");
  return text;
}

Result<std::string> canonical_name(const std::string& text) {
  auto ref = parse_reference(text);
  if (!ref) return ref.error().context("image archive: name '" + text + "'");
  if (!ref->digest.empty()) {
    return bad_archive("name '" + text + "' pins a digest; a loaded image is named by a tag");
  }
  return ref->canonical();
}

// Whether an OCI ref.name annotation is a whole reference ("busybox:1.36", "x/y") rather than
// a tag alone ("multi"), which names no repository.
bool is_whole_reference(const std::string& name) {
  return name.find('/') != std::string::npos || name.find(':') != std::string::npos;
}

Result<void> read_layers(int root, ArchiveImage& image) {
  for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
    const std::string& member = image.layer_members[i];
    auto got = member_digest(root, member);
    if (!got) return got.error();
    const std::string want = image.manifest.layers[i]["digest"];
    if (got->first != want) return bad_archive("layer " + member + " does not match " + want);
  }
  return {};
}

// `docker save`: manifest.json lists each image's config, tags and layer tars (no digests).
Result<std::vector<ArchiveImage>> read_docker_archive(int root, const std::string& text) {
  auto entries = json::parse(text, nullptr, false);
  if (!entries.is_array()) return bad_archive("its manifest.json is not a JSON array");
  std::vector<ArchiveImage> images;
  for (const auto& entry : entries) {
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() ||
        !entry.contains("Layers") || !entry["Layers"].is_array()) {
      return bad_archive("a manifest.json entry lacks Config or Layers");
    }
    ArchiveImage image;
    const std::string label = entry["Config"];
    auto config_text = read_member(root, label);
    if (!config_text) return config_text.error();
    auto config = parse_config(label, *config_text);
    if (!config) return config.error();
    image.config = std::move(*config);
    image.config_text = std::move(*config_text);
    json body = {{"schemaVersion", 2},
                 {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                 {"config",
                  {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                   {"digest", sha256_of(image.config_text)},
                   {"size", image.config_text.size()}}},
                 {"layers", json::array()}};
    for (const auto& layer : entry["Layers"]) {
      if (!layer.is_string()) return bad_archive("a Layers entry of manifest.json is not a name");
      auto got = member_digest(root, layer.get<std::string>());
      if (!got) return got.error();
      body["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                {"digest", got->first},
                                {"size", got->second}});
      image.layer_members.push_back(layer);
    }
    auto manifest = parse_manifest(label, "", sandbox::dump(body));
    if (!manifest) return manifest.error();
    image.manifest = std::move(*manifest);
    for (const auto& tag : entry.value("RepoTags", json::array())) {
      if (!tag.is_string()) continue;
      auto name = canonical_name(tag);
      if (!name) return name.error();
      image.names.push_back(*name);
    }
    images.push_back(std::move(image));
  }
  return images;
}

// An OCI archive: index.json points at manifests (or indexes) among blobs/sha256/.
Result<std::vector<ArchiveImage>> read_oci_archive(int root, const std::string& text) {
  auto index = json::parse(text, nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return bad_archive("its index.json lists no manifests");
  }
  std::vector<ArchiveImage> images;
  for (const auto& entry : index["manifests"]) {
    if (!entry.is_object() || !entry.contains("digest") || !entry["digest"].is_string()) {
      return bad_archive("an index.json entry has no digest");
    }
    std::string digest = entry["digest"];
    std::string media_type = entry.value("mediaType", "");
    auto body = read_blob(root, digest);
    if (!body) return body.error();
    auto parsed = json::parse(*body, nullptr, false);
    if (is_index(media_type, parsed)) {
      auto chosen = choose_platform(digest, parsed, host_platform());
      if (!chosen) return chosen.error();
      body = read_blob(root, *chosen);
      if (!body) return body.error();
      media_type.clear();
    }
    ArchiveImage image;
    auto manifest = parse_manifest(digest, media_type, std::move(*body));
    if (!manifest) return manifest.error();
    image.manifest = std::move(*manifest);
    auto config_text = read_blob(root, image.manifest.config_digest);
    if (!config_text) return config_text.error();
    auto config = parse_config(digest, *config_text);
    if (!config) return config.error();
    image.config = std::move(*config);
    image.config_text = std::move(*config_text);
    for (const auto& layer : image.manifest.layers) {
      image.layer_members.push_back("blobs/sha256/" + layer["digest"].get<std::string>().substr(7));
    }
    if (auto r = read_layers(root, image); !r) return r.error();
    const json annotations = entry.value("annotations", json::object());
    std::string name = annotations.value("io.containerd.image.name", "");
    if (name.empty() &&
        is_whole_reference(annotations.value("org.opencontainers.image.ref.name", "")))
      name = annotations.value("org.opencontainers.image.ref.name", "");
    if (!name.empty()) {
      auto canonical = canonical_name(name);
      if (!canonical) return canonical.error();
      image.names.push_back(*canonical);
    }
    images.push_back(std::move(image));
  }
  return images;
}

// The names each image is recorded under: its own, or `tag` for an archive of one image.
Result<void> name_images(std::vector<ArchiveImage>& images, const std::string& tag) {
  if (images.empty()) return bad_archive("it holds no image");
  if (!tag.empty()) {
    if (images.size() != 1) {
      return bad_archive("it holds " + std::to_string(images.size()) +
                         " images, and --tag names one; load it without --tag");
    }
    auto name = canonical_name(tag);
    if (!name) return name.error();
    images[0].names = {*name};
    return {};
  }
  for (const auto& image : images) {
    if (image.names.empty()) {
      return bad_archive("image " + image.manifest.digest +
                         " has no name in the archive (a tag alone is not one): give it one "
                         "with --tag REPOSITORY:TAG");
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Image>> ImageStore::load(const std::string& archive_path,
                                            const std::string& tag) {
  const std::string dir = tmp_path("load");
  struct Cleanup {
    std::string archive, dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(archive, ec);
      fs::remove_all(dir, ec);
    }
  } cleanup{archive_path, dir};
  auto unpacked = unpack_layer(options_.exe, archive_path, dir, options_.max_layer_bytes);
  if (!unpacked) return unpacked.error().context("image archive");
  std::error_code ec;
  fs::remove(archive_path, ec);  // its content is in dir now
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return sys_error("open", dir, errno);

  Result<std::vector<ArchiveImage>> found = bad_archive(
      "it is neither a docker save tar (manifest.json) nor an OCI archive (index.json)");
  if (auto docker = read_member(root.get(), "manifest.json"); docker) {
    found = read_docker_archive(root.get(), *docker);
  } else if (auto oci = read_member(root.get(), "index.json"); oci) {
    found = read_oci_archive(root.get(), *oci);
  }
  if (!found) return found.error();
  if (auto r = name_images(*found, tag); !r) return r.error();

  std::vector<Image> loaded;
  for (const auto& image : *found) {
    for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
      const std::string digest = image.manifest.layers[i]["digest"];
      auto installed =
          layer_pulls_.run(digest,
                           [&]() -> Result<void> {
                             if (fs::is_directory(layer_dir(digest))) return {};
                             auto fd = open_member(root.get(), image.layer_members[i]);
                             if (!fd) return fd.error();
                             return install_layer(image.names.front(), digest, fd->get());
                           },
                           {});
      if (!installed) return installed.error();
    }
    const std::string config_blob =
        options_.dir + "/blobs/" + image.manifest.config_digest.substr(7);
    if (!fs::exists(config_blob)) {  // written aside and renamed: a crash leaves no half file
      const std::string part = tmp_path("config");
      if (!(std::ofstream(part) << image.config_text)) return sys_error("write", part, EIO);
      if (rename(part.c_str(), config_blob.c_str()) != 0) {
        const int err = errno;
        fs::remove(part, ec);
        return sys_error("rename", config_blob, err);
      }
    }
    for (const auto& name : image.names) {
      auto recorded = record(name, image.manifest, image.config);
      if (!recorded) return recorded.error();
      loaded.push_back(std::move(*recorded));
    }
  }
  return loaded;
}

}  // namespace hive::server::images
