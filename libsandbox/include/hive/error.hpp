// hive::Error and hive::Result<T>: the one error vocabulary shared by libsandbox, the server
// and the agent. No exception crosses a public API; failures travel as values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hive {

enum class Errc {
  invalid_argument,      // the caller sent something malformed (HTTP 400)
  unauthorized,          // no or wrong credentials (401)
  forbidden,             // credentials valid but not for this (403)
  not_found,             // no such sandbox, process, file (404)
  conflict,              // name taken, wrong state (409)
  payload_too_large,     // body over its limit (413)
  insufficient_storage,  // the disk (the sandbox's limit, or the host's) is full (507)
  too_many_requests,     // a limit on concurrent calls reached; retry later (429)
  unavailable,           // runtime or agent not reachable right now (503)
  timeout,               // a deadline passed (504)
  agent_error,           // the sandbox's agent answered badly (502)
  internal,              // a bug or a system call that should not fail (500)
  transport,             // client side: could not reach the server at all
};

std::string_view to_string(Errc code);
std::optional<Errc> errc_from_string(std::string_view name);

struct Error {
  Errc code = Errc::internal;
  std::string message;
  int sys_errno = 0;
  // exec and attach: the exit code of a command that could not start (127 not found, 126 could
  // not run), as a shell would give it; 0 for every other error.
  int exit_code = 0;

  // Prefixes context on the way up: "while spawning sb-x: <message>".
  Error& context(std::string_view what) {
    message = std::string(what) + ": " + message;
    return *this;
  }
};

// Builds "CALL 'ARG': strerror(errno)" for a failed system call.
Error sys_error(std::string_view call, std::string_view arg, int err);

// A small expected-like type: holds a T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(data_); }
  Error& error() { return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  Error& error() { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace hive
