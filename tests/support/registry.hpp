// Test support for image pulls: the test images (tests/images/make-test-images.sh) and a real
// registry on loopback (Debian's docker-registry, distribution 2.8) already holding them.
#pragma once

#include <string>

#include "process.hpp"

namespace hive::test {

// The directory make-test-images.sh built: oci/ (one OCI layout, a tag per image),
// bad-digest/, busybox-save.tar (docker save), busybox-oci.tar, bad-digest-layer.*, and
// registry/ (the seeded storage). Built at most once per machine and script version, cached
// in $HIVE_TEST_IMAGES_DIR or else ~/.cache/hive/test-images. Throws if it cannot be built.
std::string test_images_dir();

// tests/images/make-python-image.sh's OCI archive of test/python:3 (Debian's python3 and pip),
// built at most once per machine and script version, in $HIVE_TEST_IMAGES_DIR/../python-image
// or else ~/.cache/hive/python-image. Throws if it cannot be built.
std::string python_image_archive();

// A registry on 127.0.0.1 with every image push-test-images.sh names (test/busybox:multi,
// :numeric, :root, test/busybox-zstd:multi, test/busybox-v2s2:multi, test/multiarch:1,
// test/noplatform:1, evil/*:1, evil/hardlink:abs, bad/digest:1, public/busybox:multi), in a
// storage directory of its own: a test may push, delete or corrupt without touching another's.
class TestRegistry {
 public:
  // open: anyone pulls and pushes. basic: htpasswd, user/password below. token: Docker token
  // auth; the issuer grants user/password what it asks for and anonymous callers pull on
  // public/* only (other anonymous pulls get 401 from the registry).
  enum class Auth { open, basic, token };
  static constexpr const char* user = "hive";
  static constexpr const char* password = "s3cret";

  // Starts it (and the token issuer) and waits until /v2/ answers; throws with the registry's
  // log if it does not within 20 s.
  explicit TestRegistry(Auth auth = Auth::open);
  ~TestRegistry();  // stops both, by process group, and removes the storage
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  std::string host() const { return host_; }  // "127.0.0.1:PORT"
  std::string storage_dir() const;            // the filesystem driver's rootdirectory
  // The registry's access log: one Apache combined-format line per request, e.g.
  //   127.0.0.1 - - [01/Dec/2026:20:35:34 +0000] "GET /v2/bad/digest/blobs/sha256:83a8...
  //   HTTP/1.1" 200 10263 "" "curl/7.88.1"   (one line; digest in full)
  std::string log() const;
  std::string error_log() const;    // its application log (stderr): auth failures and the like
  std::string issuer_log() const;   // one "token: ..." line per token request (token mode)
  std::string token_realm() const;  // the issuer's /token URL (token mode), "" otherwise
  // How many GET requests named this blob ("sha256:<hex>"), in any repository, answered or not.
  int blob_gets(const std::string& digest) const;
  // Makes the registry serve other bytes of the same size for this blob (tests/images/
  // corrupt-blob.sh): `replacement` if given, else the blob with one byte flipped.
  void corrupt_blob(const std::string& digest, const std::string& replacement = "") const;

 private:
  TempDir dir_;
  Auth auth_;
  std::string host_;
  std::string issuer_port_;
};

}  // namespace hive::test
