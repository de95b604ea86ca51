// The gateway's streaming proxy: relays one request to a sandbox's hive-agent and its answer
// back, both bodies piece by piece as they arrive (an exec's output, a 1 GiB file), never
// held whole. An upgrade answer (101, a WebSocket attach) turns the connection into a byte
// pipe both ways until either side closes.
#pragma once

#include <string>

#include "common/http/exchange.hpp"
#include "runtime/runtime.hpp"

namespace hive::server {

struct ProxyOutcome {
  bool keep_alive = false;  // whether the client connection may carry another request
  unsigned status = 0;      // what the client was answered (for the request log)
};

// How the gateway's own errors look: Hive's {"error": {code, message}}, or a JSON-RPC error
// message for MCP clients, which only understand that.
enum class ErrorStyle { Hive, JsonRpc };
http::Response gateway_error(const http::RequestHeader& header, const Error& error,
                             ErrorStyle style);

// `agent_target` is the agent's own path and query (the client's, less /v1/sandboxes/{id}).
boost::asio::awaitable<ProxyOutcome> proxy_to_agent(http::Exchange& exchange,
                                                    const AgentEndpoint& endpoint,
                                                    std::string agent_target,
                                                    ErrorStyle style = ErrorStyle::Hive);

}  // namespace hive::server
