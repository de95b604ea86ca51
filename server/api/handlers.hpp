// The HTTP face of the control plane: authenticates, routes, decodes, runs the call on a
// worker thread (spawn and deprovision block), proxies what happens inside a sandbox to its
// agent, and maps hive::Error to a status and JSON body.
#pragma once

#include <atomic>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "api/router.hpp"
#include "http/exchange.hpp"
#include "service/sandbox_service.hpp"

namespace hive::server {

using http::http_status;

class Api : public http::Service {
 public:
  Api(SandboxService& service, std::string token, boost::asio::thread_pool& workers);
  // The agent's surfaces (exec, processes, files, attach, mcp) stream through the gateway.
  bool streams(const http::RequestHeader& header) override;
  boost::asio::awaitable<bool> stream(http::Exchange& exchange) override;
  void handle(http::Request&& request, http::Reply reply) override;

 private:
  http::Response dispatch(const http::Request& request);
  boost::asio::awaitable<bool> watch(http::Exchange& exchange, Route& r);

  SandboxService& service_;
  std::string token_;
  boost::asio::thread_pool& workers_;
  std::atomic<std::uint64_t> next_request_id_{1};
};

}  // namespace hive::server
