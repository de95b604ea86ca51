// libsandbox's HTTP transport over libcurl: one easy handle reused across calls (keep-alive),
// bearer auth, JSON bodies, and errors turned into hive::Error.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

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

  // Whether the server answers a call at once or holds it until something is done; each kind
  // has its own deadline in ClientOptions.
  enum class Answer { AtOnce, WhenDone };

  // Sends a request and decodes a 2xx JSON answer; anything else becomes an Error, and so does
  // an answer that is not JSON (then it was not a Hive server that answered).
  Result<Json> call(const char* method, const std::string& path, const Json* body = nullptr,
                    Answer answer = Answer::AtOnce);

  // A request whose bodies stream: the request's from `body` or `upload` (pulled until it
  // gives 0 bytes, sent chunked), the answer's handed to `on_data` piece by piece as it
  // arrives; on_data returning false ends the transfer early (not an error). A non-2xx answer
  // is collected and returned as an Error instead.
  struct Streamed {
    const char* method = "GET";
    std::string path;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    std::function<Result<std::size_t>(char* into, std::size_t room)> upload;
    std::function<bool(std::string_view data)> on_data;
    // Each response header, name as sent (compare without case), value trimmed.
    std::function<void(std::string_view name, std::string_view value)> on_header;
  };
  Result<void> stream(const Streamed& request);

  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept opaque so the public header needs no curl.h
};

// An on_data callback that cuts a stream into lines and hands each (without its newline) to
// on_line; on_line returning false stops the transfer.
std::function<bool(std::string_view)> line_splitter(std::function<bool(std::string_view)> on_line);

// "5s", "1.5s": a deadline as a person reads it.
std::string seconds_text(std::chrono::milliseconds duration);

// "sb-1/x" -> "sb-1%2Fx": ids go into paths as one segment.
std::string escape_segment(const std::string& text);

}  // namespace hive::sandbox
