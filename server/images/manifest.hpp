// Image manifests, indexes and configs, read as hostile JSON wherever they come from: a
// registry (a pull, or the kubernetes runtime asking for an image's command) or an archive
// (`image load`).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"
#include "images/reference.hpp"
#include "images/registry_client.hpp"

namespace hive::server::images {

// An OCI or Docker schema 2 image manifest, checked.
struct ImageManifest {
  std::string digest;  // sha256 of its bytes
  std::string body;    // those bytes
  std::string platform;
  std::string config_digest;
  std::vector<nlohmann::json> layers;  // descriptors, bottom first: tar layers, sha256 digests
};

// This machine's platform in an index's words: "linux/amd64".
std::string host_platform();

// The error of an image that cannot be used, naming it.
Error bad_image(const std::string& name, const std::string& why);

// Whether a manifest (by its media type, else its shape) is an index / manifest list.
bool is_index(const std::string& media_type, const nlohmann::json& body);

// The digest of an index's entry for `wanted` ("linux/arm64" also matches variant v8), or an
// error listing what the index offers.
Result<std::string> choose_platform(const std::string& name, const nlohmann::json& index,
                                    const std::string& wanted);

// `body` checked as an image manifest: schema 2, a config and tar layers with sha256 digests.
Result<ImageManifest> parse_manifest(const std::string& name, const std::string& media_type,
                                     std::string body);

// A config blob's bytes checked: a JSON object, of a linux image.
Result<nlohmann::json> parse_config(const std::string& name, const std::string& text);

// From a registry: ref's manifest for this machine, through its index when it has one.
Result<ImageManifest> resolve_manifest(RegistryClient& registry, const ImageRef& ref);

// From a registry: the config blob `digest`, verified, into memory (a few KiB; capped).
Result<nlohmann::json> fetch_config(RegistryClient& registry, const ImageRef& ref,
                                    const std::string& digest);

inline constexpr std::int64_t kMaxConfigBytes = 8 << 20;

}  // namespace hive::server::images
