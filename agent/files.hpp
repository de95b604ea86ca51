// The agent's /files surface (docs/api.md): read, write, list, stat, mkdir and delete inside
// the sandbox, every body streamed (a 1 GiB file passes through a 64 KiB buffer), and tar in
// both directions for `hivectl cp`. The agent runs in the sandbox's own root, so every path
// resolves inside it; a relative path is taken from the sandbox's workdir.
//
//   GET    /files?path=P              a file's bytes, or a directory's listing as JSON
//   GET    /files?path=P&stat=true    one entry as JSON (symlinks not followed)
//   GET    /files?path=P[&as=NAME]    with Accept: application/x-tar, P packed as NAME
//   PUT    /files?path=P[&mode=0644]  the body becomes the file (parents made; replaced whole)
//   PUT    /files?path=P&extract=true the body, a tar, unpacks into directory P
//   PUT    /files?path=P&directory=true  mkdir -p
//   DELETE /files?path=P[&recursive=true]
#pragma once

#include "common/http/exchange.hpp"
#include "exec.hpp"
#include "hive/sandbox/url.hpp"

namespace hive::agent {

boost::asio::awaitable<bool> serve_files(http::Exchange& exchange, const sandbox::Target& target,
                                         const ExecDefaults& defaults);

}  // namespace hive::agent
