// The HTTP face of the control plane: authenticates, routes, decodes, runs the call on a
// worker thread (spawn and exec block), and maps hive::Error to a status and JSON body.
#pragma once

#include <atomic>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "http/http_server.hpp"
#include "service/sandbox_service.hpp"

namespace hive::server {

// The one mapping from error codes to HTTP statuses.
unsigned http_status(Errc code);

class Api {
 public:
  Api(SandboxService& service, std::string token, boost::asio::thread_pool& workers);
  void handle(http::Request&& request, http::Reply reply);

 private:
  http::Response dispatch(const http::Request& request);

  SandboxService& service_;
  std::string token_;
  boost::asio::thread_pool& workers_;
  std::atomic<std::uint64_t> next_request_id_{1};
};

}  // namespace hive::server
