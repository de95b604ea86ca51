#include "hive/sandbox/codec.hpp"

#include <algorithm>
#include <limits>

#include "fields.hpp"
#include "hive/sandbox/mcp.hpp"

namespace hive::sandbox {
namespace {

using detail::Fields;

constexpr std::int64_t kMaxSeconds = 366LL * 24 * 3600;
constexpr std::int64_t kMaxOutputBytes = 1LL << 30;

using detail::invalid;

struct DepthExceeded {};

constexpr std::int64_t kLeastMemoryBytes = 16 << 20;

bool looks_like_sandbox_id(const std::string& name) {
  if (name.size() != 11 || name.rfind("sb-", 0) != 0) return false;
  return std::all_of(name.begin() + 3, name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

Result<void> validate_env(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return invalid("env '" + key + "': names must be non-empty without '=' or NUL bytes");
    }
  }
  return {};
}

Result<void> validate_spec(const SandboxSpec& spec) {
  if (!spec.name.empty()) {
    if (auto r = validate_dns_label("name", spec.name); !r) return r;
    // A name of the id form would shadow the sandbox that has (or will have) that id, and a
    // retried `hivectl rm NAME` could then delete the wrong one.
    if (looks_like_sandbox_id(spec.name)) {
      return invalid("name '" + spec.name +
                     "' has the form of a sandbox id (sb- and 8 letters or digits); names "
                     "must not, pick another");
    }
  }
  for (const auto& [key, value] : spec.labels) {
    if (auto r = validate_label_key(key); !r) return r;
    if (auto r = validate_label_value(key, value); !r) return r;
  }
  if (spec.image.empty()) return invalid("field 'image' must not be empty");
  if (spec.workdir.empty() || spec.workdir.front() != '/') {
    return invalid("field 'workdir' must be an absolute path, got '" + spec.workdir + "'");
  }
  if (auto r = validate_env(spec.env); !r) return r;
  const Resources& res = spec.resources;
  if (!res.cpu.empty()) {
    auto millis = parse_cpu_millis(res.cpu);
    if (!millis) return millis.error().context("resources.cpu");
    // The kernel's smallest CFS quota is 1 ms of each 100 ms period.
    if (*millis < 10)
      return invalid("resources.cpu '" + res.cpu + "' is below the least a sandbox can have, 10m");
  }
  for (const auto& [field, text] :
       {std::pair{"resources.memory", &res.memory}, std::pair{"resources.disk", &res.disk}}) {
    if (text->empty()) continue;
    auto bytes = parse_byte_quantity(*text);
    if (!bytes) return bytes.error().context(field);
    // Below this not even the agent and a shell fit: every command would fail to start.
    if (text == &res.memory && *bytes < kLeastMemoryBytes) {
      return invalid("resources.memory '" + res.memory +
                     "' is below the least a sandbox can run in, 16Mi");
    }
  }
  for (int port : spec.ports) {
    if (port < 1 || port > 65535)
      return invalid("port " + std::to_string(port) + " is outside 1..65535");
  }
  if (auto servers = mcp::stdio_servers_from_json(spec.mcp_servers); !servers) {
    return servers.error();
  }
  return {};
}

Result<Network> network_from_string(const std::string& text) {
  if (text == "none") return Network::None;
  if (text == "host") return Network::Host;
  if (text == "egress") return Network::Egress;
  return invalid("field 'network': '" + text + "' is not one of none, host, egress");
}

void read_resources(Fields& fields, Resources& out) {
  const Json* raw = fields.raw("resources");
  if (raw == nullptr) return;
  Fields res(*raw, "resources");
  res.string("cpu", out.cpu);
  res.string("memory", out.memory);
  res.integer("pids", out.pids, 0, 1 << 22);
  res.string("disk", out.disk);
  if (auto r = res.finish(); !r) fields.fail(r.error());
}

void read_ports(Fields& fields, std::vector<int>& out) {
  const Json* raw = fields.raw("ports");
  if (raw == nullptr) return;
  if (!raw->is_array()) return fields.fail(invalid("field 'ports': expected an array of integers"));
  for (const Json& port : *raw) {
    if (!port.is_number_integer()) {
      return fields.fail(invalid("field 'ports': expected integers, got " + sandbox::dump(port)));
    }
    auto value = port.get<std::int64_t>();
    if (value < 1 || value > 65535) {
      return fields.fail(invalid("port " + std::to_string(value) + " is outside 1..65535"));
    }
    out.push_back(static_cast<int>(value));
  }
}

// The spec fields, shared by the spawn request and the sandbox resource.
void read_spec_fields(Fields& fields, SandboxSpec& spec) {
  fields.string("name", spec.name);
  fields.string_map("labels", spec.labels);
  fields.string("image", spec.image);
  fields.string_map("env", spec.env);
  fields.string("workdir", spec.workdir);
  std::string network = to_string(spec.network);
  fields.string("network", network);
  if (auto n = network_from_string(network); n) {
    spec.network = *n;
  } else {
    fields.fail(n.error());
  }
  fields.integer("ttl_seconds", spec.ttl_seconds, 0, kMaxSeconds);
  fields.integer("idle_timeout_seconds", spec.idle_timeout_seconds, 0, kMaxSeconds);
  read_resources(fields, spec.resources);
  read_ports(fields, spec.ports);
  fields.string_map("node_selector", spec.node_selector);
  fields.string("runtime_class", spec.runtime_class);
  fields.object("mcp_servers", spec.mcp_servers);
  fields.boolean("start", spec.start);
}

void write_spec_fields(const SandboxSpec& spec, Json& out) {
  if (!spec.name.empty()) out["name"] = spec.name;
  out["labels"] = spec.labels;
  out["image"] = spec.image;
  out["env"] = spec.env;
  out["workdir"] = spec.workdir;
  out["network"] = to_string(spec.network);
  out["ttl_seconds"] = spec.ttl_seconds;
  out["idle_timeout_seconds"] = spec.idle_timeout_seconds;
  Json res = Json::object();
  if (!spec.resources.cpu.empty()) res["cpu"] = spec.resources.cpu;
  if (!spec.resources.memory.empty()) res["memory"] = spec.resources.memory;
  if (spec.resources.pids != 0) res["pids"] = spec.resources.pids;
  if (!spec.resources.disk.empty()) res["disk"] = spec.resources.disk;
  out["resources"] = res;
  out["ports"] = spec.ports;
  out["node_selector"] = spec.node_selector;
  out["runtime_class"] = spec.runtime_class;
  out["mcp_servers"] = spec.mcp_servers;
  if (spec.start) out["start"] = true;
}

// Output text is a string when it is UTF-8, else "<name>_b64".
void write_bytes(Json& out, const std::string& name, const std::string& bytes) {
  if (is_valid_utf8(bytes)) {
    out[name] = bytes;
  } else {
    out[name + "_b64"] = base64_encode(bytes);
  }
}

void read_bytes(Fields& fields, const std::string& name, std::string& out) {
  std::string b64;
  fields.string(name.c_str(), out);
  fields.string((name + "_b64").c_str(), b64);
  if (b64.empty() || fields.failed()) return;
  if (auto decoded = base64_decode(b64); decoded) {
    out = std::move(*decoded);
  } else {
    fields.fail(decoded.error().context("field '" + name + "_b64'"));
  }
}

}  // namespace

Result<Json> parse_json(std::string_view text, int max_depth) {
  Json::parser_callback_t limit = [max_depth](int depth, Json::parse_event_t, Json&) {
    if (depth > max_depth) throw DepthExceeded{};
    return true;
  };
  try {
    return Json::parse(text, limit);
  } catch (const DepthExceeded&) {
    return invalid("JSON nests deeper than " + std::to_string(max_depth) + " levels");
  } catch (const Json::parse_error& e) {
    return invalid(std::string("malformed JSON: ") + e.what());
  } catch (const Json::exception& e) {  // out_of_range: a number past double's range (1e99999)
    return invalid(std::string("unusable JSON: ") + e.what());
  }
}

Result<SandboxSpec> spec_from_json(const Json& body) {
  SandboxSpec spec;
  Fields fields(body, "spawn request");
  read_spec_fields(fields, spec);
  if (auto r = fields.finish(); !r) return r.error();
  if (auto r = validate_spec(spec); !r) return r.error();
  return spec;
}

Json to_json(const SandboxSpec& spec) {
  Json out = Json::object();
  write_spec_fields(spec, out);
  return out;
}

Json to_json(const Sandbox& sandbox) {
  Json out = Json::object();
  out["id"] = sandbox.id;
  write_spec_fields(sandbox.spec, out);
  out["runtime"] = sandbox.runtime;
  out["state"] = to_string(sandbox.state);
  out["reason"] = sandbox.reason;
  out["created_at"] = sandbox.created_at;
  out["ready_at"] = sandbox.ready_at;
  out["expires_at"] = sandbox.expires_at;
  out["last_activity_at"] = sandbox.last_activity_at;
  if (!sandbox.token.empty()) out["token"] = sandbox.token;
  return out;
}

Result<Sandbox> sandbox_from_json(const Json& body) {
  Sandbox sandbox;
  Fields fields(body, "sandbox");
  fields.string("id", sandbox.id);
  read_spec_fields(fields, sandbox.spec);
  fields.string("runtime", sandbox.runtime);
  std::string state;
  fields.string("state", state);
  fields.string("reason", sandbox.reason);
  fields.string("created_at", sandbox.created_at);
  fields.string("ready_at", sandbox.ready_at);
  fields.string("expires_at", sandbox.expires_at);
  fields.string("last_activity_at", sandbox.last_activity_at);
  fields.string("token", sandbox.token);
  // Lenient: a newer server may add fields this client does not know.
  if (auto r = fields.finish(/*strict=*/false); !r) return r.error();
  auto parsed = state_from_string(state);
  if (!parsed) return invalid("sandbox: unknown state '" + state + "'");
  sandbox.state = *parsed;
  return sandbox;
}

Result<ExecRequest> exec_request_from_json(const Json& body) {
  ExecRequest request;
  Fields fields(body, "exec request");
  fields.string_list("argv", request.argv);
  fields.string("command", request.command);
  fields.string_map("env", request.env);
  fields.string("cwd", request.cwd);
  fields.number("timeout_seconds", request.timeout_seconds, 0, static_cast<double>(kMaxSeconds));
  read_bytes(fields, "stdin", request.stdin_data);
  fields.integer("max_output_bytes", request.max_output_bytes, 0, kMaxOutputBytes);
  std::string user;
  fields.string("user", user);
  fields.boolean("background", request.background);
  if (auto r = fields.finish(); !r) return r.error();
  if (request.argv.empty() == request.command.empty()) {
    return invalid("exec request: give exactly one of 'argv' (a non-empty array) or 'command'");
  }
  for (const auto& arg : request.argv) {
    if (arg.find('\0') != std::string::npos) return invalid("field 'argv': NUL byte in argument");
  }
  if (request.command.find('\0') != std::string::npos) return invalid("field 'command': NUL byte");
  if (!request.cwd.empty() && request.cwd.front() != '/') {
    return invalid("field 'cwd' must be an absolute path, got '" + request.cwd + "'");
  }
  if (!user.empty() && user != "root") return invalid("field 'user': only 'root' is supported yet");
  if (auto r = validate_env(request.env); !r) return r.error();
  return request;
}

Json to_json(const ExecRequest& request) {
  Json out = Json::object();
  if (!request.argv.empty()) out["argv"] = request.argv;
  if (!request.command.empty()) out["command"] = request.command;
  if (!request.env.empty()) out["env"] = request.env;
  if (!request.cwd.empty()) out["cwd"] = request.cwd;
  if (request.timeout_seconds > 0) out["timeout_seconds"] = request.timeout_seconds;
  if (!request.stdin_data.empty()) write_bytes(out, "stdin", request.stdin_data);
  if (request.max_output_bytes > 0) out["max_output_bytes"] = request.max_output_bytes;
  if (request.background) out["background"] = true;
  return out;
}

Json to_json(const ExecResult& result) {
  Json out = Json::object();
  out["exit_code"] = result.exit_code;
  out["signal"] = result.signal;
  write_bytes(out, "stdout", result.stdout_data);
  write_bytes(out, "stderr", result.stderr_data);
  out["duration_ms"] = result.duration_ms;
  out["timed_out"] = result.timed_out;
  out["truncated"] = result.truncated;
  if (!result.error.empty()) out["error"] = result.error;
  return out;
}

Result<ExecResult> exec_result_from_json(const Json& body) {
  ExecResult result;
  Fields fields(body, "exec result");
  std::int64_t exit_code = 0, signal = 0;
  fields.integer("exit_code", exit_code, -1, 255);
  fields.integer("signal", signal, 0, 128);
  read_bytes(fields, "stdout", result.stdout_data);
  read_bytes(fields, "stderr", result.stderr_data);
  fields.integer("duration_ms", result.duration_ms);
  fields.boolean("timed_out", result.timed_out);
  fields.boolean("truncated", result.truncated);
  fields.string("error", result.error);
  if (auto r = fields.finish(/*strict=*/false); !r) return r.error();
  result.exit_code = static_cast<int>(exit_code);
  result.signal = static_cast<int>(signal);
  return result;
}

Json to_json(const ExecEvent& event) {
  using Kind = ExecEvent::Kind;
  Json out = Json::object();
  switch (event.kind) {
    case Kind::Start:
      out["type"] = "start";
      out["pid"] = event.pid;
      if (event.dropped_bytes > 0) out["dropped_bytes"] = event.dropped_bytes;
      break;
    case Kind::Stdout:
    case Kind::Stderr:
      out["type"] = event.kind == Kind::Stdout ? "stdout" : "stderr";
      write_bytes(out, "data", event.data);
      break;
    case Kind::Exit:
      out = to_json(event.result);
      out.erase("stdout");
      out.erase("stderr");
      out["type"] = "exit";
      break;
  }
  return out;
}

Result<ExecEvent> exec_event_from_json(const Json& body) {
  using Kind = ExecEvent::Kind;
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string()) {
    return invalid("exec event: expected an object with a string 'type'");
  }
  const std::string type = body["type"];
  ExecEvent event;
  if (type == "exit") {
    auto result = exec_result_from_json(body);
    if (!result) return result.error();
    event.kind = Kind::Exit;
    event.result = std::move(*result);
    return event;
  }
  Fields fields(body, "exec event");
  std::string ignored;
  fields.string("type", ignored);
  if (type == "start") {
    std::int64_t pid = 0;
    fields.integer("pid", pid, 0, 1 << 30);
    event.pid = static_cast<int>(pid);
    fields.integer("dropped_bytes", event.dropped_bytes, 0,
                   std::numeric_limits<std::int64_t>::max());
  } else if (type == "stdout" || type == "stderr") {
    event.kind = type == "stdout" ? Kind::Stdout : Kind::Stderr;
    read_bytes(fields, "data", event.data);
  } else {
    return invalid("exec event: unknown type '" + type + "'");
  }
  if (auto r = fields.finish(/*strict=*/false); !r) return r.error();
  return event;
}

Json to_json(const Error& error) {
  Json body{{"code", std::string(to_string(error.code))}, {"message", error.message}};
  if (error.exit_code != 0) body["exit_code"] = error.exit_code;
  return Json{{"error", std::move(body)}};
}

Error error_from_body(std::string_view body, Errc fallback) {
  auto parsed = parse_json(body);
  if (parsed && parsed->is_object() && parsed->contains("error") &&
      (*parsed)["error"].is_object()) {
    const Json& e = (*parsed)["error"];
    Error error{fallback, ""};
    if (e.contains("code") && e["code"].is_string()) {
      if (auto code = errc_from_string(e["code"].get<std::string>())) error.code = *code;
    }
    // A JSON-RPC error from an MCP route says its Hive code in data.hive_code.
    if (e.contains("data") && e["data"].is_object() && e["data"].contains("hive_code") &&
        e["data"]["hive_code"].is_string()) {
      if (auto code = errc_from_string(e["data"]["hive_code"].get<std::string>()))
        error.code = *code;
    }
    if (e.contains("message") && e["message"].is_string()) error.message = e["message"];
    if (e.contains("exit_code") && e["exit_code"].is_number_integer()) {
      error.exit_code = static_cast<int>(std::clamp<std::int64_t>(e["exit_code"], 0, 255));
    }
    if (!error.message.empty()) return error;
  }
  std::string text(body.substr(0, 200));
  return Error{fallback, text.empty() ? std::string(to_string(fallback)) : text};
}

}  // namespace hive::sandbox
