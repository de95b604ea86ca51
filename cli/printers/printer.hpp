// The one printer layer: every verb hands its resources here and -o picks the form.
#pragma once

#include <chrono>
#include <ostream>
#include <vector>

#include "app.hpp"
#include "hive/sandbox/client.hpp"
#include "hive/sandbox/mcp_client.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::cli {

// A list: a table, ids, or {"items": [...]} as JSON or YAML.
void print_sandboxes(std::ostream& out, const PrintOptions& options,
                     const std::vector<sandbox::Sandbox>& sandboxes);
// One sandbox: the resource itself as JSON or YAML, else a one-row table or its id.
void print_sandbox(std::ostream& out, const PrintOptions& options, const sandbox::Sandbox& sandbox);

// Background processes: PID STATE EXIT STARTED COMMAND, pids, or {"items": [...]}.
void print_processes(std::ostream& out, const PrintOptions& options,
                     const std::vector<sandbox::ProcessInfo>& processes);

// MCP tools: NAME DESCRIPTION (its first line), names, or {"items": [...]} as tools/list
// sends them.
void print_mcp_tools(std::ostream& out, const PrintOptions& options,
                     const std::vector<sandbox::McpTool>& tools);

// Rows as aligned columns (the first row is the header when there is one).
void print_rows(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

// One event of a stream (list -w), so that a script reads one at a time: -o json as one
// compact object a line (NDJSON), -o yaml as a document of its own ("---" first), a jsonpath
// template's text and a newline.
void print_event(std::ostream& out, const PrintOptions& options, const sandbox::Json& json);

// A JSON value as -o json or -o yaml print it.
void print_structured(std::ostream& out, const PrintOptions& options, const sandbox::Json& json);

// Every field of a sandbox as "Key:   value" lines, times with their age.
void describe(std::ostream& out, const sandbox::Sandbox& sandbox,
              std::chrono::system_clock::time_point now);

// "2026-11-22T03:04:05.678Z" relative to now as kubectl shows ages: 42s, 5m, 3h, 2d.
std::string age(const std::string& rfc3339, std::chrono::system_clock::time_point now);

}  // namespace hive::cli
