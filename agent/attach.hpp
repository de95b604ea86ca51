// GET /attach: an interactive process over a WebSocket (docs/api.md). Binary messages whose
// first byte is a channel, as Kubernetes' v5.channel.k8s.io: 0 stdin, 1 stdout, 2 stderr,
// 3 status (JSON {"exit_code","signal"}, sent last, before the close), 4 resize
// ({"cols","rows"}), 255 close a channel (255 0 = stdin EOF; under a PTY it sends ^D).
//
// Query: command=ARG (repeated; default the sandbox's shell), tty=true|false (default true:
// a PTY; false: three pipes, which stdio MCP servers need), cols, rows, cwd, env=K=V
// (repeated). The client going away kills the process group.
#pragma once

#include "children.hpp"
#include "common/http/exchange.hpp"
#include "exec.hpp"
#include "hive/sandbox/url.hpp"

namespace hive::agent {

boost::asio::awaitable<bool> serve_attach(http::Exchange& exchange, const sandbox::Target& target,
                                          const ExecDefaults& defaults, Children& children);

}  // namespace hive::agent
