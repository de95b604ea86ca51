#include "mcp_server.hpp"

#include "message.hpp"

#include <random>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>

namespace hive::agent::mcp {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace wire = sandbox::mcp;
using Events = asio::experimental::channel<void(boost::system::error_code, std::string)>;

constexpr std::size_t kMaxSessions = 256;  // past this the least recently used one ends
constexpr std::size_t kToolsPerPage = 16;
constexpr std::size_t kQueuedProgress = 64;  // beyond this, progress is dropped, never the result
constexpr std::uint64_t kMaxMessageBytes = 16 << 20;
constexpr const char* kSessionHeader = "Mcp-Session-Id";
constexpr const char* kRevisionHeader = "MCP-Protocol-Version";

std::string new_session_id() {
  std::random_device random;
  std::string id;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) id += kHex[random() % 16];
  return id;
}

http::Response json_reply(const bhttp::request_header<>& header, bhttp::status status,
                          const Json& body) {
  return http::make_response(header, status, sandbox::dump(body));
}

http::Response rpc_error(const bhttp::request_header<>& header, bhttp::status status,
                         const Json& id, int code, std::string_view text) {
  return json_reply(header, status, wire::error_message(id, code, text));
}

http::Response accepted(const bhttp::request_header<>& header) {
  auto reply = http::make_response(header, bhttp::status::accepted, "");
  reply.erase(bhttp::field::content_type);
  return reply;
}

std::string sse_event(const Json& message) {
  return "event: message\ndata: " + sandbox::dump(message) + "\n\n";
}

}  // namespace

McpServer::McpServer(asio::io_context& io, ExecContext context) : io_(io), toolbox_(io, context) {}

asio::awaitable<bool> McpServer::serve(http::Exchange& exchange) {
  const auto& header = exchange.header();
  switch (header.method()) {
    case bhttp::verb::post:
      co_return co_await post(exchange);
    case bhttp::verb::delete_:
      co_return co_await http::answer(exchange, end_session(header));
    default: {
      // No server-initiated stream: clients open a GET and take the 405 in their stride.
      auto reply = rpc_error(header, bhttp::status::method_not_allowed, nullptr, wire::kServerError,
                             "/mcp takes POST and DELETE");
      reply.set(bhttp::field::allow, "POST, DELETE");
      co_return co_await http::answer(exchange, std::move(reply));
    }
  }
}

http::Response McpServer::end_session(const http::RequestHeader& header) {
  auto found = sessions_.find(std::string(header[kSessionHeader]));
  if (header[kSessionHeader].empty()) {
    return rpc_error(header, bhttp::status::bad_request, nullptr, wire::kServerError,
                     "DELETE /mcp needs the Mcp-Session-Id header");
  }
  if (found == sessions_.end()) {
    return rpc_error(header, bhttp::status::not_found, nullptr, wire::kServerError,
                     "no such MCP session (it ended or never began)");
  }
  auto session = found->second;
  sessions_.erase(found);
  for (auto& [id, call] : session->calls) call->cancel();
  return json_reply(header, bhttp::status::ok, Json::object());
}

asio::awaitable<bool> McpServer::post(http::Exchange& exchange) {
  auto request = co_await http::read_whole(exchange, kMaxMessageBytes);
  if (!request) co_return false;
  const auto& header = *request;
  auto parsed = parse_message(request->body(), header[kRevisionHeader]);
  if (auto* refused = std::get_if<Refused>(&parsed)) {
    co_return co_await http::send(
        exchange.stream, rpc_error(header, bhttp::status::bad_request, refused->id, refused->code,
                                   refused->message));
  }
  auto& incoming = std::get<Incoming>(parsed);
  const Json& id = incoming.id;
  if (incoming.initialize) {
    co_return co_await http::send(exchange.stream, initialize(*request, incoming.message));
  }
  const std::string session_id(header[kSessionHeader]);
  if (session_id.empty()) {
    co_return co_await http::send(
        exchange.stream, rpc_error(header, bhttp::status::bad_request, id, wire::kServerError,
                                   "missing Mcp-Session-Id header: send initialize first"));
  }
  auto found = sessions_.find(session_id);
  if (found == sessions_.end()) {
    co_return co_await http::send(
        exchange.stream,
        rpc_error(header, bhttp::status::not_found, id, wire::kServerError,
                  "no such MCP session (it ended or never began): initialize again"));
  }
  auto session = found->second;
  session->used = std::chrono::steady_clock::now();
  if (!incoming.expects_answer) {  // a response or a notification
    notify(*session, incoming.message);
    co_return co_await http::send(exchange.stream, accepted(header));
  }
  co_return co_await dispatch(exchange, *request, session, incoming.message);
}

http::Response McpServer::initialize(const http::Request& request, const Json& message) {
  const Json& params = message.value("params", Json::object());
  const Json& asked = params.is_object() ? params.value("protocolVersion", Json()) : Json();
  std::string revision = asked.is_string() ? asked.get<std::string>() : "";
  if (!wire::supported_revision(revision)) revision = wire::kLatestRevision;
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second->used < b.second->used;
    });
    for (auto& [id, call] : oldest->second->calls) call->cancel();
    sessions_.erase(oldest);
  }
  auto session = std::make_shared<Session>();
  session->id = new_session_id();
  session->revision = revision;
  session->used = std::chrono::steady_clock::now();
  sessions_[session->id] = session;
  Json result{{"protocolVersion", revision},
              {"capabilities", {{"tools", {{"listChanged", false}}}}},
              {"serverInfo", {{"name", "hive-agent"}, {"version", HIVE_VERSION}}},
              {"instructions",
               "Tools of one Hive sandbox: run commands and work with its files; tools of "
               "bridged servers are named <server>_<tool>."}};
  auto reply = json_reply(request, bhttp::status::ok, wire::result_message(message["id"], result));
  reply.set(kSessionHeader, session->id);
  return reply;
}

void McpServer::notify(Session& session, const Json& message) {
  if (message.value("method", "") != "notifications/cancelled") return;
  const Json& params = message.value("params", Json::object());
  if (!params.is_object() || !params.contains("requestId")) return;
  auto found = session.calls.find(sandbox::dump(params["requestId"]));
  if (found != session.calls.end()) found->second->cancel();
}

asio::awaitable<bool> McpServer::dispatch(http::Exchange& exchange, const http::Request& request,
                                          std::shared_ptr<Session> session, const Json& message) {
  const Json& id = message["id"];
  const std::string method = message["method"];
  const Json params = message.value("params", Json::object());
  if (!params.is_object()) {
    co_return co_await http::send(exchange.stream,
                                  rpc_error(request, bhttp::status::ok, id, wire::kInvalidParams,
                                            "params must be an object"));
  }
  if (method == "tools/call") co_return co_await call_tool(exchange, request, session, message);
  Json reply;
  if (method == "ping") {
    reply = wire::result_message(id, Json::object());
  } else if (method == "tools/list") {
    std::vector<Json> unavailable;
    auto tools = co_await toolbox_.list(&unavailable);
    reply = list_page(tools, unavailable, params, id);
  } else {
    reply = wire::error_message(id, wire::kMethodNotFound, "method '" + method + "' not found");
  }
  co_return co_await http::send(exchange.stream, json_reply(request, bhttp::status::ok, reply));
}

// The cursor is the index of the page's first tool, as text.
Json McpServer::list_page(const std::vector<Json>& tools, const std::vector<Json>& unavailable,
                          const Json& params, const Json& id) {
  std::size_t first = 0;
  if (params.contains("cursor")) {
    const Json& cursor = params["cursor"];
    if (!cursor.is_string() || cursor.get<std::string>().empty() ||
        cursor.get<std::string>().find_first_not_of("0123456789") != std::string::npos ||
        cursor.get<std::string>().size() > 6) {
      return wire::error_message(id, wire::kInvalidParams, "invalid cursor");
    }
    first = std::stoul(cursor.get<std::string>());
  }
  Json page = Json::array();
  for (std::size_t i = first; i < tools.size() && i < first + kToolsPerPage; ++i) {
    page.push_back(tools[i]);
  }
  Json result{{"tools", page}};
  // MCP's _meta, under a name of ours: which bridged servers' tools are missing, and why.
  if (!unavailable.empty()) result["_meta"] = {{"hive/unavailable", unavailable}};
  if (first + kToolsPerPage < tools.size())
    result["nextCursor"] = std::to_string(first + kToolsPerPage);
  return wire::result_message(id, result);
}

asio::awaitable<Json> McpServer::run_call(const Json& id, const Json& params, ToolCallPtr call) {
  const Json& name = params.value("name", Json());
  if (!name.is_string())
    co_return wire::error_message(id, wire::kInvalidParams, "tools/call needs a 'name'");
  auto result = co_await toolbox_.call(name.get<std::string>(), call);
  if (!result) {
    co_return wire::error_message(id, wire::kInvalidParams,
                                  "unknown tool '" + name.get<std::string>() + "'");
  }
  co_return wire::result_message(id, std::move(*result));
}

asio::awaitable<bool> McpServer::call_tool(http::Exchange& exchange, const http::Request& request,
                                           std::shared_ptr<Session> session, const Json& message) {
  const Json& id = message["id"];
  const Json& params = message["params"];
  auto call = std::make_shared<ToolCall>();
  call->arguments = params.value("arguments", Json::object());
  if (!call->arguments.is_object()) {
    co_return co_await http::send(exchange.stream,
                                  rpc_error(request, bhttp::status::ok, id, wire::kInvalidParams,
                                            "tools/call 'arguments' must be an object"));
  }
  const std::string key = sandbox::dump(id);
  session->calls[key] = call;
  Json token;  // no ?: in a coroutine: GCC 12 mishandles a conditional's temporaries there
  if (params.contains("_meta") && params["_meta"].is_object()) {
    token = params["_meta"].value("progressToken", Json());
  }
  if (token.is_null()) {  // answered with JSON once the tool is done
    Json reply = co_await run_call(id, params, call);
    session->calls.erase(key);
    co_return co_await http::send(exchange.stream, json_reply(request, bhttp::status::ok, reply));
  }
  // With a progress token: an SSE stream of progress notifications, then the response.
  http::ChunkedWriter writer(exchange.stream);
  if (co_await writer.start(request, bhttp::status::ok, "text/event-stream")) co_return false;
  auto events = std::make_shared<Events>(io_, kQueuedProgress);
  call->progress = [events, token](Json progress) {
    progress["progressToken"] = token;
    Json note{
        {"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", std::move(progress)}};
    events->try_send(boost::system::error_code{}, sse_event(note));
  };
  auto run = [&]() -> asio::awaitable<void> {
    Json reply = co_await run_call(id, params, call);
    call->progress = nullptr;
    session->calls.erase(key);
    co_await events->async_send({}, sse_event(reply), http::use_tuple);
    co_await events->async_send({}, std::string(), http::use_tuple);  // the end
  };
  bool written = true;
  auto pump = [&]() -> asio::awaitable<void> {
    for (;;) {
      auto [ec, event] = co_await events->async_receive(http::use_tuple);
      if (ec || event.empty()) co_return;
      // A client gone is not a cancellation (MCP-NOTES): the call runs on, unread.
      if (written) written = !co_await writer.write(event);
    }
  };
  using namespace asio::experimental::awaitable_operators;
  co_await (run() && pump());
  co_return written && !co_await writer.finish() && request.keep_alive();
}

}  // namespace hive::agent::mcp
