// A client of the OCI distribution API (what Docker Hub, ghcr.io and CNCF distribution speak):
// manifests and blobs over libcurl, with anonymous, Basic and Bearer-token auth, plain HTTP
// for the registries named insecure (and loopback, as Docker allows), a mirror for docker.io,
// and transient failures retried with backoff. Every blob is checked against its digest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hive/error.hpp"
#include "images/reference.hpp"

namespace hive::server::images {

struct RegistryOptions {
  std::vector<std::string> insecure;  // registries ("host:port") spoken to over plain HTTP
  std::string mirror;                 // base URL used for docker.io ("https://mirror.example")
  std::string config_file;            // a ~/.docker/config.json-style file with "auths"
  int attempts = 4;                   // tries of a request that failed transiently
  long connect_timeout_ms = 10'000;
  long low_speed_seconds = 60;  // a transfer slower than 1 KiB/s this long is cut off
};

struct FetchedManifest {
  std::string media_type;  // from the body's mediaType, else the Content-Type
  std::string digest;      // sha256 of the body
  std::string body;
};

// "sha256:<hex>" of bytes.
std::string sha256_of(const std::string& bytes);
// "sha256:<hex>" of an open file's whole content (read with pread: its offset stays); its size.
Result<std::string> sha256_of_file(int fd, std::int64_t& size);

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions options);

  // The manifest (or index) `reference` (a tag or digest) of ref's repository. A digest
  // reference must match the body's digest.
  Result<FetchedManifest> manifest(const ImageRef& ref, const std::string& reference);
  // The blob `digest` into the file `path` (created or truncated), verified; refused past
  // max_bytes (a descriptor's size); on_bytes gets the bytes received so far. Returns the size.
  Result<std::int64_t> blob(const ImageRef& ref, const std::string& digest, const std::string& path,
                            std::int64_t max_bytes,
                            const std::function<void(std::int64_t)>& on_bytes);
  // A small blob (a config) into memory, verified; refused past max_bytes.
  Result<std::string> small_blob(const ImageRef& ref, const std::string& digest,
                                 std::int64_t max_bytes);

  // Where a 2xx body goes: `write` takes each chunk (false stops the transfer, with `why`
  // set), `restart` is called before a retry sends the request again.
  struct Sink {
    std::function<bool(const char*, std::size_t)> write;
    std::function<void()> restart;
    std::string why;
  };
  struct Response {
    long status = 0;
    std::string content_type;
  };
  // One GET of base_url(ref) + path with the repository's credentials, answering a 401
  // challenge once and retrying transient failures.
  Result<Response> get(const ImageRef& ref, const std::string& path, const std::string& accept,
                       Sink& sink);
  // Ends every transfer under way within a second, and refuses new ones (a server stopping).
  void cancel() { cancelled_ = true; }

 private:
  Result<std::string> fetch_token(const ImageRef& ref, const std::string& challenge);
  std::string base_url(const ImageRef& ref) const;
  std::string credentials(const std::string& domain) const;  // "user:password" or ""

  RegistryOptions options_;
  std::map<std::string, std::string> auths_;  // registry -> "user:password"
  std::mutex mutex_;
  std::map<std::string, std::string> authorization_;  // domain/repository -> header value
  std::atomic<bool> cancelled_{false};
};

}  // namespace hive::server::images
