// In a Pod the agent listens on TCP, reachable by anything the network lets through: every
// request but GET /healthz (the kubelet's readiness probe) must carry the sandbox's secret in
// X-Hive-Agent-Secret. The server derives that secret from its own key and the sandbox id, so
// one sandbox's secret opens no other sandbox.
#pragma once

#include <memory>
#include <string>

#include "common/http/http_server.hpp"

namespace hive::agent {

class SecretGate : public http::Service {
 public:
  SecretGate(std::shared_ptr<http::Service> inner, std::string secret)
      : inner_(std::move(inner)), secret_(std::move(secret)) {}
  bool streams(const http::RequestHeader& header) override;
  boost::asio::awaitable<bool> stream(http::Exchange& exchange) override;
  void handle(http::Request&& request, http::Reply reply) override;

 private:
  bool admits(const boost::beast::http::request_header<>& header) const;

  std::shared_ptr<http::Service> inner_;
  std::string secret_;
};

}  // namespace hive::agent
