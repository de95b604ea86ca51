// Test helpers that assert (Catch2), for the test binaries only.
#pragma once

#include <string>

#include "hive/sandbox/client.hpp"

namespace hive::test {

// Runs `command` under /bin/sh -c in a sandbox (20 s timeout); fails the test if Hive could
// not run it at all.
sandbox::ExecResult run_in(sandbox::Client& client, const std::string& id,
                           const std::string& command);

}  // namespace hive::test
