// Image references as Docker writes them: "python:3.12", "ubuntu" (docker.io/library/ubuntu:
// latest), "ghcr.io/org/img:tag", "127.0.0.1:5000/x/y@sha256:...". Pure, so unit-tested.
#pragma once

#include <string>

#include "hive/error.hpp"

namespace hive::server::images {

struct ImageRef {
  std::string domain;      // "docker.io", "ghcr.io", "127.0.0.1:5000"
  std::string repository;  // "library/ubuntu", "org/img"
  std::string tag;         // "latest" when neither tag nor digest is given
  std::string digest;      // "sha256:<64 hex>", or ""

  // The canonical form: "docker.io/library/ubuntu:latest", "host/x/y@sha256:..." (a digest
  // wins over a tag: it is what is pulled).
  std::string canonical() const;
  // What the registry's manifest endpoint takes: the digest, else the tag.
  std::string reference() const { return digest.empty() ? tag : digest; }
};

// Parses a reference; an invalid one gets an error naming the part at fault. Image "host" is
// not a reference: callers test for it first.
Result<ImageRef> parse_reference(const std::string& text);

// "sha256:<64 lowercase hex>": the only digest form accepted anywhere (a digest names files).
bool is_sha256_digest(const std::string& digest);

}  // namespace hive::server::images
