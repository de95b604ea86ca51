// hive-agent's HTTP surface (DESIGN.md §5): GET /healthz, POST /exec, and POST /configure
// (env and workdir for a warm-pool claim), for now.
#pragma once

#include <boost/asio/io_context.hpp>

#include "children.hpp"
#include "exec.hpp"
#include "http/http_server.hpp"

namespace hive::agent {

class AgentApi {
 public:
  AgentApi(boost::asio::io_context& io, Children& children, ExecDefaults defaults);
  void handle(http::Request&& request, http::Reply reply);

 private:
  void exec(const http::Request& request, http::Reply reply);
  http::Response configure(const http::Request& request);

  boost::asio::io_context& io_;
  Children& children_;
  ExecDefaults defaults_;
};

}  // namespace hive::agent
