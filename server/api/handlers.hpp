// The HTTP face of the control plane: authenticates, routes, decodes, runs the call on a
// worker thread (spawn and deprovision block), proxies what happens inside a sandbox to its
// agent, and maps hive::Error to a status and JSON body.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "api/auth.hpp"
#include "api/metrics.hpp"
#include "api/request_log.hpp"
#include "api/router.hpp"
#include "api/stream_slots.hpp"
#include "common/http/exchange.hpp"
#include "hive/sandbox/codec.hpp"
#include "images/image_store.hpp"
#include "service/sandbox_service.hpp"

namespace hive::server {

using http::http_status;

struct ApiOptions {
  std::string admin_token;
  // --image-alias NAME=IMAGE: an image name a client sends (a seed client's
  // "sandbox:general-0.1") and the image this server runs for it ("host" on the local runtime).
  std::map<std::string, std::string> image_aliases;
  std::string namespace_name = "hive";  // what the seeds' spawn answer calls the namespace
  std::size_t max_streams_per_token = 4096;
  images::ImageStore* images = nullptr;  // the local runtime's; null on kubernetes
  // Where spawns that must pull their image first wait (and pull): apart from the workers,
  // so that a pull of minutes never holds up a spawn of a cached image. Null: the workers.
  boost::asio::thread_pool* pull_workers = nullptr;
};

class Api : public http::Service {
 public:
  Api(SandboxService& service, ApiOptions options, boost::asio::thread_pool& workers);
  // The agent's surfaces (exec, processes, files, attach, mcp) stream through the gateway.
  bool streams(const http::RequestHeader& header) override;
  boost::asio::awaitable<bool> stream(http::Exchange& exchange) override;
  void handle(http::Request&& request, http::Reply reply) override;

 private:
  http::Response dispatch(const http::Request& request, Route& r);
  // Runs one call on this thread and replies; the request is logged and measured from `started`.
  void serve(const http::Request& request, Route& r, std::chrono::steady_clock::time_point started,
             http::Reply reply);
  bool spawn_pulls(const http::Request& request, const Route& r);
  http::Response metrics_response(const http::Request& request);
  // Records a finished request: its latency in the metrics, its line in the log.
  void finished(Metrics::Kind kind, unsigned status, std::chrono::steady_clock::time_point started,
                RequestLine line);
  http::Response seed_dispatch(const http::Request& request, const Route& r);
  void resolve_alias(sandbox::SandboxSpec& spec) const;
  // A stream slot of the grant's budget, or nullptr when it is spent.
  std::shared_ptr<void> stream_slot(const Grant& grant);
  Error too_many_streams() const;
  // Whether a grant reaches the sandbox `id_or_name` names: the admin reaches every one, a
  // sandbox token only its own (looked up by name when it is one).
  Result<void> authorize(const Grant& grant, const std::string& id_or_name);
  std::string token_for(const sandbox::Sandbox& sb) const;
  // A sandbox as JSON with its token, valid until the sandbox's expiry.
  sandbox::Json with_token(const sandbox::Sandbox& sb) const;
  http::Response sandbox_response(const http::Request& request,
                                  const Result<sandbox::Sandbox>& result, unsigned status = 200);
  boost::asio::awaitable<bool> watch(http::Exchange& exchange, Route& r);
  // POST /v1/images/pull and /v1/images/load: admin only, streamed.
  boost::asio::awaitable<bool> pull(http::Exchange& exchange, Route& r);
  // The agent of a sandbox, waiting (bounded) while it is still Starting.
  boost::asio::awaitable<Result<AgentRoute>> route_when_running(const std::string& id_or_name);

  SandboxService& service_;
  ApiOptions options_;
  Authenticator auth_;
  StreamSlots stream_slots_;
  boost::asio::thread_pool& workers_;
  Metrics metrics_;
};

}  // namespace hive::server
