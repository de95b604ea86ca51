#include "hive/sandbox/mcp_client.hpp"

#include <strings.h>

#include <algorithm>

#include "hive/sandbox/mcp.hpp"
#include "transport.hpp"

namespace hive::sandbox {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string string_field(const Json& object, const char* name) {
  const Json& value = object.value(name, Json());
  return value.is_string() ? value.get<std::string>() : "";
}

McpTool tool_from_json(const Json& tool) {
  McpTool out;
  out.name = string_field(tool, "name");
  out.title = string_field(tool, "title");
  out.description = string_field(tool, "description");
  out.input_schema = tool.value("inputSchema", Json::object());
  out.output_schema = tool.value("outputSchema", Json());
  return out;
}

Error protocol_error(const std::string& what) {
  return make_error(Errc::agent_error, "MCP: " + what);
}

// One answer to a POST: a JSON body, or SSE events (progress notifications, then the
// response to our request).
class AnswerReader {
 public:
  AnswerReader(std::int64_t id, const McpSession::OnProgress& on_progress)
      : id_(id), on_progress_(on_progress) {
    lines_ = line_splitter([this](std::string_view line) { return on_line(line); });
  }
  void on_header(std::string_view name, std::string_view value) {
    if (same_name(name, "Content-Type"))
      sse_ = value.find("text/event-stream") != std::string_view::npos;
    if (same_name(name, "Mcp-Session-Id")) session_id = std::string(value);
  }
  bool on_data(std::string_view data) {
    if (!sse_) {
      body_.append(data);
      return true;
    }
    return lines_(data);
  }
  // The response message, once the transfer is over.
  Result<Json> response() {
    if (!sse_) {
      auto message = parse_json(body_);
      if (!message) return protocol_error("the answer is not JSON: " + message.error().message);
      response_ = std::move(*message);
    }
    if (!response_) return protocol_error("the stream ended without an answer");
    return *response_;
  }
  std::string session_id;

 private:
  bool on_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return dispatch();
    if (line.rfind("data:", 0) == 0) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      data_.append(line);
      data_ += '\n';
    }
    return true;  // event:, id:, retry: and comments need nothing
  }
  bool dispatch() {
    auto message = parse_json(data_);
    data_.clear();
    if (!message || !message->is_object()) return true;
    if (string_field(*message, "method") == "notifications/progress" && on_progress_) {
      const Json& p = message->value("params", Json::object());
      if (!p.is_object()) return true;
      McpProgress progress;
      const Json& value = p.value("progress", Json());
      progress.progress = value.is_number() ? value.get<double>() : 0;
      if (p.contains("total") && p["total"].is_number()) progress.total = p["total"].get<double>();
      progress.message = string_field(p, "message");
      on_progress_(progress);
    } else if (message->value("id", Json()) == id_) {
      response_ = std::move(*message);
      return false;  // ours has come: the rest of the stream is not for us
    }
    return true;
  }

  std::int64_t id_;
  const McpSession::OnProgress& on_progress_;
  bool sse_ = false;
  std::string body_, data_;
  std::optional<Json> response_;
  std::function<bool(std::string_view)> lines_;
};

}  // namespace

std::string McpCallResult::text() const {
  std::string out;
  for (const auto& block : content) {
    if (!out.empty()) out += '\n';
    if (!block.is_object()) continue;
    const std::string type = string_field(block, "type");
    if (type == "text") {
      out += string_field(block, "text");
    } else if (type == "image" || type == "audio") {
      out += "[" + type + " " + string_field(block, "mimeType") + ", " +
             std::to_string(string_field(block, "data").size() * 3 / 4) + " bytes]";
    } else if (type == "resource_link" || type == "resource") {
      const Json& resource = type == "resource" ? block.value("resource", Json::object()) : block;
      out += "[" + type + " " + (resource.is_object() ? string_field(resource, "uri") : "") + "]";
    } else {
      out += "[" + type + "]";
    }
  }
  return out;
}

McpSession::McpSession() = default;
McpSession::McpSession(McpSession&&) noexcept = default;
McpSession& McpSession::operator=(McpSession&&) noexcept = default;
McpSession::~McpSession() {
  if (transport_ && !session_id_.empty()) (void)close();
}

Result<McpSession> McpSession::open(const ClientOptions& options, const std::string& sandbox) {
  McpSession session;
  session.transport_ = std::make_unique<Transport>(options);
  session.path_ = "/v1/sandboxes/" + escape_segment(sandbox) + "/mcp";
  Json client{{"name", "libsandbox"}, {"version", HIVE_VERSION}};
  Json params{{"protocolVersion", std::string(mcp::kLatestRevision)},
              {"capabilities", Json::object()},
              {"clientInfo", client}};
  auto result = session.request("initialize", params, {});
  if (!result) return result.error();
  const Json& version = result->value("protocolVersion", Json());
  session.protocol_version_ = version.is_string() ? version.get<std::string>() : "";
  session.server_info_ = result->value("serverInfo", Json::object());
  if (!mcp::supported_revision(session.protocol_version_)) {
    return protocol_error("the server speaks revision '" + session.protocol_version_ + "'");
  }
  Transport::Streamed note{.method = "POST", .path = session.path_, .headers = session.headers()};
  note.body = sandbox::dump(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  note.on_data = [](std::string_view) { return true; };
  if (auto sent = session.transport_->stream(note); !sent) return sent.error();
  return session;
}

std::vector<std::string> McpSession::headers() const {
  std::vector<std::string> out{"Content-Type: application/json",
                               "Accept: application/json, text/event-stream"};
  if (!session_id_.empty()) out.push_back("Mcp-Session-Id: " + session_id_);
  if (!protocol_version_.empty()) out.push_back("MCP-Protocol-Version: " + protocol_version_);
  return out;
}

Result<Json> McpSession::request(const std::string& method, Json params,
                                 const OnProgress& on_progress) {
  const std::int64_t id = next_id_++;
  if (on_progress) params["_meta"]["progressToken"] = id;
  AnswerReader reader(id, on_progress);
  Transport::Streamed post{.method = "POST", .path = path_, .headers = headers()};
  post.body =
      sandbox::dump(Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
  post.on_header = [&](std::string_view name, std::string_view value) {
    reader.on_header(name, value);
  };
  post.on_data = [&](std::string_view data) { return reader.on_data(data); };
  if (auto sent = transport_->stream(post); !sent) return sent.error();
  if (method == "initialize") session_id_ = reader.session_id;
  auto message = reader.response();
  if (!message) return message.error();
  if (!message->is_object()) return protocol_error("the answer is not a JSON-RPC message");
  if (message->contains("error")) {
    const Json& error = (*message)["error"];
    const bool invalid = error.is_object() && error.value("code", Json()) == mcp::kInvalidParams;
    const std::string text = error.is_object() ? string_field(error, "message") : "";
    return make_error(invalid ? Errc::invalid_argument : Errc::agent_error,
                      text.empty() ? sandbox::dump(error) : text);
  }
  const Json& result = message->value("result", Json());
  if (!result.is_object()) return protocol_error("the answer has no result object");
  return result;
}

Result<std::vector<McpTool>> McpSession::list_tools(std::vector<std::string>* unavailable) {
  std::vector<McpTool> tools;
  Json cursor;
  do {
    Json params = Json::object();
    if (cursor.is_string()) params["cursor"] = cursor;
    auto page = request("tools/list", params, {});
    if (!page) return page.error();
    const Json& listed = page->value("tools", Json());
    if (!listed.is_array()) return protocol_error("tools/list answered without a tools array");
    for (const auto& tool : listed) {
      if (!tool.is_object() || string_field(tool, "name").empty()) {
        return protocol_error("tools/list gave a tool without a name: " + sandbox::dump(tool));
      }
      tools.push_back(tool_from_json(tool));
    }
    const Json meta = page->value("_meta", Json::object());
    if (unavailable != nullptr && meta.is_object() && meta.contains("hive/unavailable") &&
        meta["hive/unavailable"].is_array()) {
      for (const auto& missing : meta["hive/unavailable"]) {
        if (!missing.is_object()) continue;
        std::string why = string_field(missing, "error");
        if (!why.empty() &&
            std::find(unavailable->begin(), unavailable->end(), why) == unavailable->end()) {
          unavailable->push_back(why);
        }
      }
    }
    cursor = page->value("nextCursor", Json());
  } while (cursor.is_string());
  return tools;
}

Result<McpCallResult> McpSession::call_tool(const std::string& name, const Json& arguments,
                                            const OnProgress& on_progress) {
  Json params{{"name", name}, {"arguments", arguments}};
  auto result = request("tools/call", params, on_progress);
  if (!result) return result.error();
  McpCallResult out;
  out.content = result->value("content", Json::array());
  if (!out.content.is_array()) return protocol_error("tools/call answered without content");
  out.structured = result->value("structuredContent", Json());
  out.is_error = result->value("isError", Json(false)) == true;
  return out;
}

Result<void> McpSession::ping() {
  auto result = request("ping", Json::object(), {});
  if (!result) return result.error();
  return {};
}

Result<void> McpSession::close() {
  if (session_id_.empty()) return {};
  Transport::Streamed end{.method = "DELETE", .path = path_, .headers = headers()};
  end.on_data = [](std::string_view) { return true; };
  session_id_.clear();
  return transport_->stream(end);
}

}  // namespace hive::sandbox
