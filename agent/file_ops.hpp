// File operations the /files endpoint and the MCP file tools share: resolving a path against
// the sandbox's workdir, errors mapped to Hive's codes, and directory listings.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "hive/error.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::agent {

// An absolute, normalised path: relative ones are taken from `cwd`.
std::string resolve_path(const std::string& path, const std::string& cwd);

// A failed system call on a path, with the code a client can act on (not_found, conflict,
// forbidden, insufficient_storage for a full disk: a 507).
Error file_error(std::string_view call, const std::string& path, int err);

// {name, path, type, size, mode, mtime[, target]} of one entry (lstat'ed).
sandbox::Json entry_json(const std::string& path, const std::string& name, const struct stat& st);

// Opening a file for a client, as confined as a command's open and more: magic links
// (/proc/PID/fd/N, /proc/PID/map_files) are refused, so no descriptor of the agent's (its
// listening socket, its cgroup files) can be reopened by name; the agent's own /proc entry
// (/proc/1, /proc/self: its environment, its memory) is refused; a FIFO or a device never
// blocks the agent (O_NONBLOCK), and only a regular file (or, where `directory_ok`, a
// directory) is served. Writing also refuses /proc and /sys, where no file is a tenant's.
// Returns an open descriptor the caller closes.
Result<int> open_to_read(const std::string& path, bool directory_ok = false);
Result<int> open_to_write(const std::string& path, int flags, unsigned mode);
// The same rules for a path the caller hands to code that opens by name (the tar writer and
// reader): the path, resolved, must not lead into /proc or /sys at all.
Result<void> check_tree_path(const std::string& path);

// A file's first `limit` bytes.
Result<std::string> read_up_to(const std::string& path, std::size_t limit);

// Writes (or appends) `bytes` to a file, making its parent directories; the bytes written.
Result<std::size_t> write_whole(const std::string& path, std::string_view bytes, bool append);

// A directory's entries sorted by name.
Result<sandbox::Json> read_directory(const std::string& path);

}  // namespace hive::agent
