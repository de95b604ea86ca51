#include "hive/sandbox/client.hpp"

#include <optional>

#include "transport.hpp"

namespace hive::sandbox {
namespace {

std::string sandbox_path(const std::string& id) { return "/v1/sandboxes/" + escape_segment(id); }

Result<std::vector<Sandbox>> items_of(const Json& body) {
  if (!body.contains("items") || !body["items"].is_array()) {
    return make_error(Errc::internal, "hive-server's answer has no 'items'");
  }
  std::vector<Sandbox> out;
  for (const auto& item : body["items"]) {
    auto sb = sandbox_from_json(item);
    if (!sb) return sb.error();
    out.push_back(std::move(*sb));
  }
  return out;
}

Result<Sandbox> to_sandbox(Result<Json> body) {
  if (!body) return body.error();
  return sandbox_from_json(*body);
}

}  // namespace

Client::Client(ClientOptions options)
    : transport_(std::make_unique<Transport>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Sandbox> Client::spawn(const SandboxSpec& spec) {
  Json body = to_json(spec);
  return to_sandbox(transport_->call("POST", "/v1/sandboxes", &body, Transport::Answer::WhenDone));
}

Result<Sandbox> Client::spawn_no_wait(const SandboxSpec& spec) {
  Json body = to_json(spec);
  return to_sandbox(transport_->call("POST", "/v1/sandboxes?wait=false", &body));
}

Result<Sandbox> Client::spawn_dry_run(const SandboxSpec& spec) {
  Json body = to_json(spec);
  return to_sandbox(transport_->call("POST", "/v1/sandboxes?dryRun=All", &body));
}

Result<std::vector<Sandbox>> Client::list(const ListOptions& options) {
  std::string path = "/v1/sandboxes?selector=" + escape_segment(options.selector);
  if (options.state) path += "&state=" + to_string(*options.state);
  auto body = transport_->call("GET", path);
  if (!body) return body.error();
  return items_of(*body);
}

Result<void> Client::watch(const ListOptions& options,
                           const std::function<bool(const WatchEvent&)>& on_event) {
  std::string path = "/v1/sandboxes?watch=true&selector=" + escape_segment(options.selector);
  if (options.state) path += "&state=" + to_string(*options.state);
  std::optional<Error> broken;
  Transport::Streamed request{.method = "GET", .path = path};
  request.on_data = line_splitter([&](std::string_view line) {
    auto json = parse_json(line);
    auto sandbox = json && json->is_object()
                       ? sandbox_from_json(json->value("object", Json()))
                       : Result<Sandbox>(make_error(Errc::transport, "not an event"));
    if (!sandbox) {
      broken = make_error(Errc::transport, "a watch event could not be read: " + std::string(line));
      return false;
    }
    const Json& type = (*json)["type"];
    return on_event(
        WatchEvent{type.is_string() ? type.get<std::string>() : "", std::move(*sandbox)});
  });
  if (auto streamed = transport_->stream(request); !streamed) return streamed.error();
  if (broken) return *broken;
  return {};
}

Result<BulkResult> Client::deprovision_matching(const std::string& selector) {
  std::string query = selector.empty() ? "all=true" : "selector=" + escape_segment(selector);
  auto body =
      transport_->call("DELETE", "/v1/sandboxes?" + query, nullptr, Transport::Answer::WhenDone);
  if (!body) return body.error();
  auto items = items_of(*body);
  if (!items) return items.error();
  BulkResult result{std::move(*items), {}};
  for (const auto& failure : body->value("failed", Json::array())) {
    std::string id = failure.value("id", "");
    Error error = error_from_body(
        sandbox::dump(Json{{"error", failure.value("error", Json::object())}}), Errc::internal);
    result.failed.emplace_back(std::move(id), std::move(error));
  }
  return result;
}

Result<Sandbox> Client::get(const std::string& id_or_name) {
  return to_sandbox(transport_->call("GET", sandbox_path(id_or_name)));
}

Result<Sandbox> Client::deprovision(const std::string& id_or_name) {
  return to_sandbox(
      transport_->call("DELETE", sandbox_path(id_or_name), nullptr, Transport::Answer::WhenDone));
}

Result<ExecResult> Client::exec(const std::string& id_or_name, const ExecRequest& request) {
  Json body = to_json(request);
  auto reply = transport_->call("POST", sandbox_path(id_or_name) + "/exec", &body,
                                Transport::Answer::WhenDone);
  if (!reply) return reply.error();
  return exec_result_from_json(*reply);
}

Result<ExecResult> Client::exec_stream(const std::string& id_or_name, const ExecRequest& request,
                                       const OnExecEvent& on_event) {
  std::optional<ExecResult> exit;
  std::optional<Error> bad_event;
  bool hung_up = false;
  auto on_line = [&](std::string_view line) {
    auto json = parse_json(line);
    auto event = json ? exec_event_from_json(*json) : Result<ExecEvent>(json.error());
    if (!event) {
      bad_event = event.error().context("hive-server sent a malformed exec event");
      return false;
    }
    if (event->kind == ExecEvent::Kind::Exit) {
      exit = std::move(event->result);
      return true;
    }
    hung_up = !on_event(*event);
    return !hung_up;
  };
  Transport::Streamed call;
  call.method = "POST";
  call.path = sandbox_path(id_or_name) + "/exec";
  call.headers = {"Accept: application/x-ndjson", "Content-Type: application/json"};
  call.body = sandbox::dump(to_json(request));
  call.on_data = line_splitter(on_line);
  auto done = transport_->stream(call);
  if (!done) return done.error();
  if (bad_event) return *bad_event;
  if (hung_up) return make_error(Errc::transport, "stopped listening; the command was killed");
  if (!exit) return make_error(Errc::transport, "the exec stream ended before the command did");
  return *exit;
}

Result<Sandbox> Client::keepalive(const std::string& id_or_name) {
  return to_sandbox(transport_->call("POST", sandbox_path(id_or_name) + "/keepalive"));
}

Result<ServerVersion> Client::version() {
  auto body = transport_->call("GET", "/v1/version");
  if (!body) return body.error();
  return ServerVersion{body->value("version", ""), body->value("api", ""),
                       body->value("runtime", "")};
}

}  // namespace hive::sandbox
