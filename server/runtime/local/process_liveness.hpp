// Whether a sandbox's agent (a host pid) still exists, told apart from "could not look":
// the reaper fails a sandbox only on evidence that its agent is gone, and reading /proc takes
// a file descriptor, which a server at its descriptor limit does not have.
#pragma once

#include <string>

#include "runtime/runtime.hpp"

namespace hive::server::local {

// `start_time` is field 22 of /proc/PID/stat as it was when the agent started: another value
// means the pid now belongs to someone else. A zombie is gone; a /proc file that cannot be
// opened or read for any reason but the process's absence (EMFILE, ENFILE, ENOMEM) is unknown.
Liveness process_liveness(int pid, const std::string& start_time);

// The state (field 3) and start time (field 22) in the text of /proc/PID/stat; false when
// the text does not hold them.
bool parse_proc_stat(const std::string& text, std::string& state, std::string& start_time);

}  // namespace hive::server::local
