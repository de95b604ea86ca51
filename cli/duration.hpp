// Durations as kubectl's flags take them (--request-timeout, wait --timeout): "30s", "1m30s",
// "1.5s", "500ms", "2h", or a plain number of seconds.
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "hive/error.hpp"

namespace hive::cli {

// `flag` names the flag in the error: "--timeout 'soon': expected a duration like 30s, 2m or 1h"
// (with flag "", "'soon': expected...").
Result<std::chrono::milliseconds> parse_duration(const std::string& text, const std::string& flag);

// A flag that takes a duration ("600", "10m", "1h30m") into seconds, refusing what
// parse_duration refuses when the command line is parsed.
CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, std::int64_t& seconds,
                                const std::string& help);
CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, double& seconds,
                                const std::string& help);

}  // namespace hive::cli
