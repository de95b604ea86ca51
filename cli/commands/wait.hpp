// hivectl wait's logic apart from its flags, so a test can drive it with a fake server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "hive/error.hpp"
#include "hive/sandbox/client.hpp"

namespace hive::cli {

// --for as given ("state=running", "delete") in the form the rest of wait reads:
// "state=Running", "delete". State names are taken in any case; an unknown one is an Error
// that lists those there are.
Result<std::string> normalize_condition(const std::string& text);

// What wait asks of the server: a Client's get and watch (of every sandbox) in hivectl, a
// fake in the tests.
struct WaitSource {
  std::function<Result<sandbox::Sandbox>(const std::string& id_or_name)> get;
  std::function<Result<void>(const std::function<bool(const sandbox::WatchEvent&)>& on_event)>
      watch;
};

// What await_condition, on a thread of its own, is told and tells while it runs.
struct WaitSignals {
  std::atomic<bool> stop{false};          // set: give up, at the next event at the latest
  std::atomic<bool> known{false};         // the first get found the sandbox
  std::atomic<std::uint64_t> streams{0};  // watches opened so far
  std::atomic<std::uint64_t> seen_on{0};  // the last of them that has shown the sandbox
};

// Returns once the sandbox `id` (an id or a name) meets `condition`, "delete" (gone or ended)
// or "state=<State>"; an Error when it never can (it ended in another state, it is not there,
// the server failed), or when told to stop. A sandbox the first get does not find is an Error
// for "delete" too: one the reaper ended is still there (a Terminated tombstone) and one
// deprovisioned was so by a call that returned only once it was gone, so "not found" at the
// start is a wrong id far more often than a deletion this wait could have meant. One get first, so
// a condition already met needs no event; then the watch stream. When the stream ends, one get
// again and a new watch. Blocks for as long as the stream is silent: a deadline is the caller's
// (run_wait's) job, and so is a get when a stream has not shown the sandbox (it went between the
// get and the watch).
Result<void> await_condition(const WaitSource& source, const std::string& id,
                             const std::string& condition, WaitSignals& signals);

}  // namespace hive::cli
