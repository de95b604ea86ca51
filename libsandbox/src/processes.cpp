// Client side of the agent's background processes (docs/api.md).
#include <optional>

#include "hive/sandbox/client.hpp"
#include "hive/sandbox/url.hpp"
#include "transport.hpp"

namespace hive::sandbox {
namespace {

std::string process_path(const std::string& id, int pid) {
  return "/v1/sandboxes/" + escape_segment(id) + "/processes/" + std::to_string(pid);
}

Result<ProcessInfo> process_from_json(const Json& json) {
  if (!json.is_object() || !json.contains("pid") || !json["pid"].is_number_integer()) {
    return make_error(Errc::internal, "hive-server sent a malformed process");
  }
  ProcessInfo info;
  info.pid = json["pid"].get<int>();
  info.command = json.value("command", "");
  info.state = json.value("state", "");
  info.exit_code = json.value("exit_code", 0);
  info.signal = json.value("signal", 0);
  info.duration_ms = json.value("duration_ms", std::int64_t{0});
  info.started_at = json.value("started_at", std::int64_t{0});
  return info;
}

}  // namespace

Result<ProcessInfo> Client::start_process(const std::string& id, ExecRequest request) {
  request.background = true;
  Json body = to_json(request);
  auto answer = transport_->call("POST", "/v1/sandboxes/" + escape_segment(id) + "/exec", &body);
  if (!answer) return answer.error();
  return process_from_json(*answer);
}

Result<std::vector<ProcessInfo>> Client::list_processes(const std::string& id) {
  auto answer = transport_->call("GET", "/v1/sandboxes/" + escape_segment(id) + "/processes");
  if (!answer) return answer.error();
  std::vector<ProcessInfo> out;
  for (const auto& item : answer->value("items", Json::array())) {
    auto info = process_from_json(item);
    if (!info) return info.error();
    out.push_back(std::move(*info));
  }
  return out;
}

Result<void> Client::process_logs(const std::string& id, int pid, bool follow,
                                  const OnExecEvent& on_event) {
  std::optional<Error> bad_event;
  Transport::Streamed call;
  call.path = process_path(id, pid) + "/logs" + (follow ? "?follow=true" : "");
  call.headers = {"Accept: application/x-ndjson"};
  call.on_data = line_splitter([&](std::string_view line) {
    auto json = parse_json(line);
    auto event = json ? exec_event_from_json(*json) : Result<ExecEvent>(json.error());
    if (!event) {
      bad_event = event.error().context("hive-server sent a malformed log event");
      return false;
    }
    return on_event(*event);
  });
  if (auto r = transport_->stream(call); !r) return r.error();
  if (bad_event) return *bad_event;
  return {};
}

Result<void> Client::write_stdin(const std::string& id, int pid, std::string_view data, bool eof) {
  Transport::Streamed call;
  call.method = "POST";
  call.path = process_path(id, pid) + "/stdin" + (eof ? "?eof=true" : "");
  call.headers = {"Content-Type: application/octet-stream"};
  call.body = std::string(data);
  return transport_->stream(call);
}

Result<void> Client::signal_process(const std::string& id, int pid, const std::string& signal) {
  auto answer =
      transport_->call("POST", process_path(id, pid) + "/signal?signal=" + percent_encode(signal));
  if (!answer) return answer.error();
  return {};
}

Result<ExecResult> Client::wait_process(const std::string& id, int pid) {
  auto answer = transport_->call("POST", process_path(id, pid) + "/wait", nullptr,
                                 Transport::Answer::WhenDone);
  if (!answer) return answer.error();
  return exec_result_from_json(*answer);
}

}  // namespace hive::sandbox
