#include "images/manifest.hpp"

#include <sys/utsname.h>

namespace hive::server::images {
namespace {

using nlohmann::json;

bool is_manifest_type(const std::string& type) {
  return type == "application/vnd.oci.image.manifest.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.v2+json";
}

Result<std::string> check_digest(const std::string& name, const json& d, const std::string& what) {
  if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string() ||
      !is_sha256_digest(d["digest"].get<std::string>())) {
    return bad_image(name, what + " has no sha256 digest");
  }
  if (d.contains("size") && (!d["size"].is_number_integer() || d["size"].get<std::int64_t>() < 0)) {
    return bad_image(name, what + " has an invalid size");
  }
  return d["digest"].get<std::string>();
}

std::string platform_text(const json& platform) {
  if (!platform.is_object()) return "unknown";
  std::string text = platform.value("os", "?") + "/" + platform.value("architecture", "?");
  std::string variant = platform.value("variant", "");
  return variant.empty() ? text : text + "/" + variant;
}

}  // namespace

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

Error bad_image(const std::string& name, const std::string& why) {
  return make_error(Errc::invalid_argument, "image " + name + ": " + why);
}

bool is_index(const std::string& media_type, const json& body) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
         (media_type.empty() && body.is_object() && body.contains("manifests"));
}

Result<std::string> choose_platform(const std::string& name, const json& index,
                                    const std::string& wanted) {
  if (!index.contains("manifests") || !index["manifests"].is_array()) {
    return bad_image(name, "its index lists no manifests");
  }
  std::vector<std::string> offered;
  for (const auto& entry : index["manifests"]) {
    if (!entry.is_object()) continue;
    std::string platform = platform_text(entry.value("platform", json::object()));
    if (platform == wanted || platform == wanted + "/v8")
      return check_digest(name, entry, "an index entry");
    if (platform.find("unknown") == std::string::npos) offered.push_back(platform);
  }
  std::string list;
  for (const auto& p : offered) list += (list.empty() ? "" : ", ") + p;
  return make_error(Errc::invalid_argument, "image " + name + " has no " + wanted +
                                                " variant; it offers " +
                                                (list.empty() ? std::string("none") : list));
}

Result<ImageManifest> parse_manifest(const std::string& name, const std::string& media_type,
                                     std::string body_text) {
  auto body = json::parse(body_text, nullptr, false);
  if (!body.is_object()) return bad_image(name, "its manifest is not JSON");
  if (body.value("schemaVersion", 0) != 2 ||
      !(is_manifest_type(media_type) || media_type.empty())) {
    return bad_image(
        name, "its manifest (" +
                  (media_type.empty()
                       ? std::string("schema ") + std::to_string(body.value("schemaVersion", 0))
                       : media_type) +
                  ") is not an OCI or Docker schema 2 image manifest");
  }
  if (!body.contains("layers") || !body["layers"].is_array()) {
    return bad_image(name, "its manifest lists no layers");
  }
  ImageManifest manifest;
  auto config_digest = check_digest(name, body.value("config", json::object()), "its config");
  if (!config_digest) return config_digest.error();
  manifest.config_digest = *config_digest;
  for (const auto& layer : body["layers"]) {
    if (auto d = check_digest(name, layer, "a layer"); !d) return d.error();
    std::string type = layer.value("mediaType", "");
    if (type.find("tar") == std::string::npos || type.find("encrypted") != std::string::npos) {
      return bad_image(name, "layer " + layer["digest"].get<std::string>() + " is of type '" +
                                 type + "', not a tar layer");
    }
    manifest.layers.push_back(layer);
  }
  manifest.digest = sha256_of(body_text);
  manifest.body = std::move(body_text);
  manifest.platform = host_platform();
  return manifest;
}

Result<json> parse_config(const std::string& name, const std::string& text) {
  auto config = json::parse(text, nullptr, false);
  if (!config.is_object()) return bad_image(name, "its config is not JSON");
  if (config.value("os", "linux") != "linux") {
    return bad_image(name, "it is a " + config.value("os", "") + " image, not linux");
  }
  return config;
}

Result<ImageManifest> resolve_manifest(RegistryClient& registry, const ImageRef& ref) {
  const std::string name = ref.canonical();
  const std::string pulling = "pulling " + name;
  auto fetched = registry.manifest(ref, ref.reference());
  if (!fetched) return fetched.error().context(pulling);
  auto body = json::parse(fetched->body, nullptr, false);
  if (!body.is_object()) return bad_image(name, "its manifest is not JSON");
  if (is_index(fetched->media_type, body)) {
    auto chosen = choose_platform(name, body, host_platform());
    if (!chosen) return chosen.error();
    fetched = registry.manifest(ref, *chosen);
    if (!fetched) return fetched.error().context(pulling);
  }
  return parse_manifest(name, fetched->media_type, std::move(fetched->body));
}

Result<json> fetch_config(RegistryClient& registry, const ImageRef& ref,
                          const std::string& digest) {
  auto text = registry.small_blob(ref, digest, kMaxConfigBytes);
  if (!text) return text.error().context("pulling " + ref.canonical() + ", its config");
  return parse_config(ref.canonical(), *text);
}

}  // namespace hive::server::images
