#include "agent_api.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>

#include "attach.hpp"
#include "common/agent_protocol.hpp"
#include "files.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/mcp.hpp"
#include "hive/sandbox/url.hpp"
#include "sandbox_init.hpp"

namespace hive::agent {
namespace {

namespace bhttp = boost::beast::http;
using sandbox::Json;
using Events = boost::asio::experimental::channel<void(boost::system::error_code, std::string)>;

// Events a streamed exec may have produced and the client not yet taken: past this the
// command's pipes are not read, so a slow client slows the command rather than the agent's
// memory growing.
constexpr std::size_t kQueuedEvents = 16;

bool wants_ndjson(const bhttp::request_header<>& header) {
  return header[bhttp::field::accept].find("application/x-ndjson") != std::string_view::npos;
}

std::string path_of(const bhttp::request_header<>& header) {
  auto target = sandbox::parse_target(header.target());
  return target ? target->path : "";
}

http::Response error_response(const http::Request& request, bhttp::status status,
                              const Error& error) {
  return http::make_response(request, status, sandbox::dump(sandbox::to_json(error)));
}

Result<sandbox::ExecRequest> decode_exec(const std::string& body) {
  auto json = sandbox::parse_json(body);
  if (!json) return json.error();
  return sandbox::exec_request_from_json(*json);
}

}  // namespace

AgentApi::AgentApi(boost::asio::io_context& io, Children& children, ExecDefaults defaults)
    : io_(io),
      children_(children),
      defaults_(std::move(defaults)),
      processes_(io, children),
      mcp_(io, mcp::ExecContext{children, defaults_}) {}

bool AgentApi::streams(const http::RequestHeader& header) {
  const auto path = path_of(header);
  if (path == "/files" || path == "/attach" || path == "/mcp" || path.rfind("/processes", 0) == 0) {
    return true;
  }
  return path == "/exec" && header.method() == bhttp::verb::post && wants_ndjson(header);
}

AgentApi::Activity::~Activity() {
  --api.active_calls_;
  api.last_call_end_ = std::chrono::steady_clock::now();
}

http::Response AgentApi::health(const http::Request& request) const {
  auto last = std::max(last_call_end_, processes_.last_exit());
  auto idle =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - last);
  // A background process is activity as much as a call is: the sandbox is doing its work.
  Json body{{"ok", true},
            {"active_calls", active_calls_},
            {"running_processes", processes_.running()},
            {"idle_seconds", idle.count()}};
  return http::make_response(request, bhttp::status::ok, sandbox::dump(body));
}

boost::asio::awaitable<bool> AgentApi::stream(http::Exchange& exchange) {
  Activity activity(*this);
  auto target = sandbox::parse_target(exchange.header().target());
  if (!target) co_return co_await http::answer_error(exchange, target.error());
  if (target->path == "/files") co_return co_await serve_files(exchange, *target, defaults_);
  if (target->path.rfind("/processes", 0) == 0) {
    co_return co_await processes_.serve(exchange, *target);
  }
  if (target->path == "/mcp") co_return co_await mcp_.serve(exchange);
  if (target->path == "/attach") {
    co_return co_await serve_attach(exchange, *target, defaults_, children_);
  }
  co_return co_await exec_stream(exchange);  // streams() lets nothing else through
}

boost::asio::awaitable<bool> AgentApi::exec_stream(http::Exchange& exchange) {
  auto request = co_await http::read_whole(exchange, exchange.limits.body_bytes);
  if (!request) co_return false;
  auto exec_request = decode_exec(request->body());
  if (auto answer = answer_unless_run(*request, exec_request)) {
    co_return co_await http::send(exchange.stream, std::move(*answer));
  }
  http::ChunkedWriter writer(exchange.stream);
  if (co_await writer.start(*request, bhttp::status::ok, "application/x-ndjson")) co_return false;

  auto events = std::make_shared<Events>(io_, kQueuedEvents);
  auto job = std::make_shared<ExecJob>(
      io_, children_, std::move(*exec_request), defaults_,
      // An empty line ends the stream (a close would drop events still queued).
      [events](sandbox::ExecResult) { events->async_send({}, std::string(), [](auto) {}); },
      [events](std::string line, std::function<void()> then) {
        // Completes at once with an error once the channel is closed: the job drains on.
        events->async_send({}, std::move(line),
                           [then = std::move(then)](boost::system::error_code) { then(); });
      });
  job->start();
  auto pump = [&]() -> boost::asio::awaitable<boost::system::error_code> {
    for (;;) {
      auto [ec, line] = co_await events->async_receive(http::use_tuple);
      if (ec || line.empty()) co_return boost::system::error_code{};
      if (auto wec = co_await writer.write(line)) co_return wec;
    }
  };
  auto hung_up = [&] {
    job->cancel();  // nobody will read the output: end the command
    events->close();
  };
  using namespace boost::asio::experimental::awaitable_operators;
  auto outcome = co_await (pump() || http::until_hangup(exchange.stream, hung_up));
  if (outcome.index() != 0 || std::get<0>(outcome)) {
    hung_up();
    co_return false;
  }
  co_return !co_await writer.finish() && request->keep_alive();
}

void AgentApi::handle(http::Request&& request, http::Reply reply) {
  const auto target = path_of(request);
  if (target == agent_protocol::kHealthPath && request.method() == bhttp::verb::get)
    return reply(health(request));
  // Active until the reply is sent (exec answers later, from its completion).
  auto activity = std::make_shared<Activity>(*this);
  reply = [reply = std::move(reply), activity](http::Response response) mutable {
    reply(std::move(response));
    activity.reset();
  };
  if (target == agent_protocol::kConfigurePath && request.method() == bhttp::verb::post) {
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

Result<void> AgentApi::start_background(std::vector<std::string> argv) {
  sandbox::ExecRequest request;
  request.argv = std::move(argv);
  request.background = true;
  auto started = processes_.start(std::move(request), defaults_);
  if (!started) return started.error();
  return {};
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
  auto mcp_servers =
      sandbox::mcp::stdio_servers_from_json(body->value("mcp_servers", Json::object()));
  if (!mcp_servers) return error_response(request, bhttp::status::bad_request, mcp_servers.error());
  if (!env.is_object() || !workdir.is_string() || workdir.get<std::string>().empty() ||
      workdir.get<std::string>().front() != '/') {
    return error_response(request, bhttp::status::bad_request,
                          make_error(Errc::invalid_argument,
                                     "configure: env must be an object, workdir an absolute path"));
  }
  if (auto made = make_workdir(workdir.get<std::string>()); !made) {
    return error_response(request, bhttp::status::bad_request, made.error());
  }
  for (const auto& [key, value] : env.items()) {
    if (!value.is_string() || key.empty() || key.find('=') != std::string::npos) continue;
    setenv(key.c_str(), value.get<std::string>().c_str(), 1);
  }
  defaults_.cwd = workdir.get<std::string>();
  if (!mcp_servers->empty()) mcp_.set_servers(std::move(*mcp_servers));
  return http::make_response(request, bhttp::status::ok, R"({"ok":true})");
}

std::optional<http::Response> AgentApi::answer_unless_run(
    const http::Request& request, Result<sandbox::ExecRequest>& exec_request) {
  if (!exec_request)
    return error_response(request, bhttp::status::bad_request, exec_request.error());
  if (!exec_request->background) return std::nullopt;
  // Nothing to wait for or stream: a background process answers with its pid at once.
  auto started = processes_.start(std::move(*exec_request), defaults_);
  if (!started) return http::error_response(request, started.error());
  return http::make_response(request, bhttp::status::created, started->dump());
}

void AgentApi::exec(const http::Request& request, http::Reply reply) {
  auto exec_request = decode_exec(request.body());
  if (auto answer = answer_unless_run(request, exec_request)) return reply(std::move(*answer));
  // A waited exec holds its output in the agent until the end, and the agent's memory is the
  // sandbox's: past the cap, the streamed exec is the way.
  if (exec_request->max_output_bytes > kMaxWaitedOutput) {
    return reply(error_response(
        request, bhttp::status::bad_request,
        make_error(Errc::invalid_argument,
                   "max_output_bytes is at most " + std::to_string(kMaxWaitedOutput) +
                       " for a waited exec; stream it (Accept: application/x-ndjson) for more")));
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
        response.body() = sandbox::dump(sandbox::to_json(result));
        reply(std::move(response));
      });
  job->start();
}

}  // namespace hive::agent
