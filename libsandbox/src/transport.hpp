// libsandbox's HTTP transport over libcurl: one easy handle reused across calls (keep-alive),
// bearer auth, JSON bodies, and errors turned into hive::Error.
#pragma once

#include <string>

#include "hive/error.hpp"
#include "hive/sandbox/client.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::sandbox {

class Transport {
 public:
  explicit Transport(ClientOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends a request and decodes a 2xx JSON answer; anything else becomes an Error.
  Result<Json> call(const char* method, const std::string& path, const Json* body = nullptr);

 private:
  ClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept opaque so the public header needs no curl.h
};

// "sb-1/x" -> "sb-1%2Fx": ids go into paths as one segment.
std::string escape_segment(const std::string& text);

}  // namespace hive::sandbox
