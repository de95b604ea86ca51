// hive-agent's HTTP surface (docs/api.md): GET /healthz, POST /configure (env and workdir for
// a warm-pool claim), POST /exec (waited JSON, or NDJSON events with
// Accept: application/x-ndjson), processes, files, attach and MCP (/mcp).
#pragma once

#include <chrono>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "children.hpp"
#include "common/http/exchange.hpp"
#include "exec.hpp"
#include "mcp/mcp_server.hpp"
#include "processes.hpp"

namespace hive::agent {

class AgentApi : public http::Service {
 public:
  AgentApi(boost::asio::io_context& io, Children& children, ExecDefaults defaults);
  bool streams(const http::RequestHeader& header) override;
  boost::asio::awaitable<bool> stream(http::Exchange& exchange) override;
  void handle(http::Request&& request, http::Reply reply) override;
  // Starts a command as a background process, as POST /exec with "background" would (the
  // image's own command in a Pod).
  Result<void> start_background(std::vector<std::string> argv);

 private:
  // Calls in progress and when the last one ended: /healthz reports them, so a server replica
  // that saw none of a sandbox's traffic (another replica served it) can tell it is not idle.
  // Health checks themselves are not activity. One io thread: plain counters.
  struct Activity {
    AgentApi& api;
    explicit Activity(AgentApi& a) : api(a) { ++api.active_calls_; }
    ~Activity();
  };
  http::Response health(const http::Request& request) const;
  // Either form of POST /exec: the answer when there is nothing to run here (the request does
  // not decode, or it starts a background process), else nullopt.
  std::optional<http::Response> answer_unless_run(const http::Request& request,
                                                  Result<sandbox::ExecRequest>& exec_request);
  void exec(const http::Request& request, http::Reply reply);
  boost::asio::awaitable<bool> exec_stream(http::Exchange& exchange);
  http::Response configure(const http::Request& request);

  boost::asio::io_context& io_;
  Children& children_;
  ExecDefaults defaults_;
  Processes processes_;
  mcp::McpServer mcp_;  // after defaults_: it keeps a reference to them
  int active_calls_ = 0;
  std::chrono::steady_clock::time_point last_call_end_ = std::chrono::steady_clock::now();
};

}  // namespace hive::agent
