// GET /v1/sandboxes?watch=true: the sandboxes a list would give (same selector and state),
// first each as ADDED, then every change as it is seen — ADDED, MODIFIED, DELETED — one JSON
// object per line, {"type": "...", "object": {sandbox}}, until the client hangs up. Changes
// are found by comparing the list every 200 ms (the store is in memory, so this is cheap and
// nothing can be missed between ticks but intermediate states).
#pragma once

#include <optional>

#include "common/http/exchange.hpp"
#include "hive/sandbox/selector.hpp"
#include "service/sandbox_service.hpp"

namespace hive::server {

boost::asio::awaitable<bool> serve_watch(http::Exchange& exchange, SandboxService& service,
                                         std::optional<sandbox::State> state,
                                         sandbox::Selector selector);

}  // namespace hive::server
