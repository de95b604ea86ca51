#include "agent_api.hpp"

#include <cstdlib>
#include <filesystem>

#include "hive/sandbox/codec.hpp"

namespace hive::agent {
namespace {

namespace bhttp = boost::beast::http;
using sandbox::Json;

http::Response error_response(const http::Request& request, bhttp::status status,
                              const Error& error) {
  return http::make_response(request, status, sandbox::to_json(error).dump());
}

}  // namespace

AgentApi::AgentApi(boost::asio::io_context& io, Children& children, ExecDefaults defaults)
    : io_(io), children_(children), defaults_(std::move(defaults)) {}

void AgentApi::handle(http::Request&& request, http::Reply reply) {
  const auto target = request.target();
  if (target == "/healthz" && request.method() == bhttp::verb::get) {
    return reply(http::make_response(request, bhttp::status::ok, R"({"ok":true})"));
  }
  if (target == "/configure" && request.method() == bhttp::verb::post) {
    return reply(configure(request));
  }
  if (target == "/exec") {
    if (request.method() != bhttp::verb::post) {
      return reply(error_response(request, bhttp::status::method_not_allowed,
                                  make_error(Errc::invalid_argument, "/exec takes POST")));
    }
    return exec(request, std::move(reply));
  }
  reply(error_response(request, bhttp::status::not_found,
                       make_error(Errc::not_found, "no route for " + std::string(target))));
}

// A warm-pool claim: the env and workdir of the spawn request that took this sandbox. They
// apply to every command from now on, as if the sandbox had been started with them.
http::Response AgentApi::configure(const http::Request& request) {
  auto body = sandbox::parse_json(request.body());
  if (!body || !body->is_object()) {
    return error_response(request, bhttp::status::bad_request,
                          make_error(Errc::invalid_argument, "configure takes a JSON object"));
  }
  const Json& env = body->value("env", Json::object());
  const Json& workdir = body->value("workdir", Json(defaults_.cwd));
  if (!env.is_object() || !workdir.is_string() || workdir.get<std::string>().empty() ||
      workdir.get<std::string>().front() != '/') {
    return error_response(request, bhttp::status::bad_request,
                          make_error(Errc::invalid_argument,
                                     "configure: env must be an object, workdir an absolute path"));
  }
  for (const auto& [key, value] : env.items()) {
    if (!value.is_string() || key.empty() || key.find('=') != std::string::npos) continue;
    setenv(key.c_str(), value.get<std::string>().c_str(), 1);
  }
  defaults_.cwd = workdir.get<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(defaults_.cwd, ec);
  return http::make_response(request, bhttp::status::ok, R"({"ok":true})");
}

void AgentApi::exec(const http::Request& request, http::Reply reply) {
  auto body = sandbox::parse_json(request.body());
  if (!body) return reply(error_response(request, bhttp::status::bad_request, body.error()));
  auto exec_request = sandbox::exec_request_from_json(*body);
  if (!exec_request) {
    return reply(error_response(request, bhttp::status::bad_request, exec_request.error()));
  }
  // Keep only what the reply needs; the request itself is gone once this returns.
  auto version = request.version();
  bool keep_alive = request.keep_alive();
  auto job = std::make_shared<ExecJob>(
      io_, children_, std::move(*exec_request), defaults_,
      [reply = std::move(reply), version, keep_alive](sandbox::ExecResult result) {
        http::Response response{bhttp::status::ok, version};
        response.set(bhttp::field::content_type, "application/json");
        response.keep_alive(keep_alive);
        response.body() = sandbox::to_json(result).dump();
        reply(std::move(response));
      });
  job->start();
}

}  // namespace hive::agent
