// Test helpers that assert (Catch2), for the test binaries only.
#pragma once

#include <chrono>
#include <string>

#include "hive/sandbox/client.hpp"

namespace hive::test {

// Runs `command` under /bin/sh -c in a sandbox (20 s timeout); fails the test if Hive could
// not run it at all.
sandbox::ExecResult run_in(sandbox::Client& client, const std::string& id,
                           const std::string& command);

// Polls until the sandbox has ended (Terminated or Failed), for at most `limit`; the sandbox
// as last seen (still running when the limit passed).
sandbox::Sandbox wait_until_ended(sandbox::Client& client, const std::string& id,
                                  std::chrono::seconds limit = std::chrono::seconds(10));

}  // namespace hive::test
