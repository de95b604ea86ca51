// The agent's own MCP tools: run a command, read, write and list files. (fetch is in
// fetch_tool.cpp.) Relative paths are taken from the sandbox's workdir; output is capped so a
// chatty command cannot flood a model's context.

#include <cstdio>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/http/http_server.hpp"
#include "file_ops.hpp"
#include "tools.hpp"

namespace hive::agent::mcp {
namespace {

namespace asio = boost::asio;
using http::use_tuple;

constexpr std::int64_t kDefaultTimeoutSeconds = 60;
constexpr std::int64_t kDefaultOutputBytes = 1 << 20;
constexpr std::int64_t kMaxReadBytes = 16 << 20;

Json schema(Json properties, std::vector<std::string> required) {
  Json out{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) out["required"] = required;
  out["additionalProperties"] = false;
  return out;
}

Json string_prop(const char* description) {
  return {{"type", "string"}, {"description", description}};
}

// A failed argument check, reported to the model as an error result.
Json bad_arguments(const std::string& tool, const std::string& why) {
  return text_result(tool + ": " + why, true);
}

// ---- run_command ----

Json run_command_descriptor() {
  Json properties{
      {"command", string_prop("A shell command line, run by /bin/sh -c")},
      {"cwd", string_prop("Working directory (default: the sandbox's workdir)")},
      {"stdin", string_prop("Text given to the command's standard input")},
      {"timeout_seconds",
       {{"type", "number"}, {"description", "Kill the command after this long (default 60)"}}},
      {"env",
       {{"type", "object"},
        {"additionalProperties", {{"type", "string"}}},
        {"description", "Extra environment variables"}}}};
  Json output{{"exit_code", {{"type", "integer"}}}, {"stdout", {{"type", "string"}}},
              {"stderr", {{"type", "string"}}},     {"timed_out", {{"type", "boolean"}}},
              {"truncated", {{"type", "boolean"}}}, {"duration_ms", {{"type", "integer"}}}};
  return {{"name", "run_command"},
          {"title", "Run a command"},
          {"description",
           "Runs a shell command in the sandbox and returns its exit code, stdout and stderr "
           "(each capped at 1 MiB). A non-zero exit is reported as an error result."},
          {"inputSchema", schema(properties, {"command"})},
          {"outputSchema", schema(output, {"exit_code", "stdout", "stderr"})}};
}

std::string printable(const std::string& bytes) {
  if (sandbox::is_valid_utf8(bytes)) return bytes;
  return "(not UTF-8; base64) " + sandbox::base64_encode(bytes);
}

asio::awaitable<Json> run_command(asio::io_context& io, const ExecContext& context,
                                  ToolCallPtr call) {
  Json body = call->arguments;
  if (!body.contains("timeout_seconds")) body["timeout_seconds"] = kDefaultTimeoutSeconds;
  body["max_output_bytes"] = kDefaultOutputBytes;
  if (body.contains("argv")) co_return bad_arguments("run_command", "give 'command'");
  auto request = sandbox::exec_request_from_json(body);
  if (!request) co_return bad_arguments("run_command", request.error().message);

  using Done = asio::experimental::channel<void(boost::system::error_code, sandbox::ExecResult)>;
  auto done = std::make_shared<Done>(io, 1);
  auto job =
      std::make_shared<ExecJob>(io, context.children, std::move(*request), context.defaults,
                                [done](sandbox::ExecResult result) {
                                  done->try_send(boost::system::error_code{}, std::move(result));
                                });
  job->start();
  call->on_cancel = [job] { job->cancel(); };
  // A progress tick a second while the command runs, when the client asked for progress.
  auto heartbeat = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(io);
    for (int seconds = 1;; ++seconds) {
      timer.expires_after(std::chrono::seconds(1));
      auto [ec] = co_await timer.async_wait(use_tuple);
      if (ec) co_return;  // the command is done: the wait was cancelled
      if (call->progress) {
        Json tick{{"progress", seconds},
                  {"message", "running for " + std::to_string(seconds) + " s"}};
        call->progress(tick);
      }
    }
  };
  using namespace asio::experimental::awaitable_operators;
  auto outcome = co_await (done->async_receive(use_tuple) || heartbeat());
  call->on_cancel = nullptr;
  auto result = std::get<1>(std::get<0>(outcome));
  if (!result.error.empty()) co_return text_result(result.error, true);
  if (call->cancelled)
    co_return text_result("run_command: cancelled; the command was killed", true);
  Json structured{
      {"exit_code", result.exit_code},           {"stdout", printable(result.stdout_data)},
      {"stderr", printable(result.stderr_data)}, {"timed_out", result.timed_out},
      {"truncated", result.truncated},           {"duration_ms", result.duration_ms}};
  co_return structured_result(structured, result.exit_code != 0 || result.timed_out);
}

// ---- files ----

Json read_file_descriptor() {
  Json properties{
      {"path", string_prop("File to read; relative paths start at the sandbox's workdir")},
      {"max_bytes",
       {{"type", "integer"}, {"description", "Read at most this many bytes (default 1 MiB)"}}}};
  return {{"name", "read_file"},
          {"title", "Read a file"},
          {"description", "Returns a file's contents as text (base64 when it is not UTF-8)."},
          {"inputSchema", schema(properties, {"path"})}};
}

Json write_file_descriptor() {
  Json properties{
      {"path", string_prop("File to write; parent directories are created")},
      {"content", string_prop("The new contents")},
      {"encoding", {{"type", "string"}, {"enum", {"utf-8", "base64"}}}},
      {"append", {{"type", "boolean"}, {"description", "Append instead of replacing"}}}};
  return {{"name", "write_file"},
          {"title", "Write a file"},
          {"description", "Creates or replaces a file (or appends to it)."},
          {"inputSchema", schema(properties, {"path", "content"})}};
}

Json list_files_descriptor() {
  Json properties{{"path", string_prop("Directory to list (default: the workdir)")}};
  Json entry{{"type", "object"},
             {"properties",
              {{"name", {{"type", "string"}}},
               {"type", {{"type", "string"}}},
               {"size", {{"type", "integer"}}},
               {"mode", {{"type", "string"}}}}}};
  Json output{{"path", {{"type", "string"}}}, {"entries", {{"type", "array"}, {"items", entry}}}};
  return {{"name", "list_files"},
          {"title", "List a directory"},
          {"description", "Lists a directory's entries with their type, size and mode."},
          {"inputSchema", schema(properties, {})},
          {"outputSchema", schema(output, {"path", "entries"})}};
}

// The string argument `name`, or why not.
Result<std::string> string_arg(const Json& arguments, const char* name, bool required) {
  auto it = arguments.find(name);
  if (it == arguments.end()) {
    if (required)
      return make_error(Errc::invalid_argument, std::string("'") + name + "' is required");
    return std::string();
  }
  if (!it->is_string()) {
    return make_error(Errc::invalid_argument, std::string("'") + name + "' must be a string");
  }
  return it->get<std::string>();
}

Json read_file(const ExecContext& context, const Json& arguments) {
  auto path = string_arg(arguments, "path", true);
  if (!path) return bad_arguments("read_file", path.error().message);
  std::int64_t limit = kDefaultOutputBytes;
  if (auto it = arguments.find("max_bytes"); it != arguments.end()) {
    if (!it->is_number_integer() || *it < 1 || *it > kMaxReadBytes) {
      return bad_arguments("read_file", "'max_bytes' must be an integer in 1..16777216");
    }
    limit = it->get<std::int64_t>();
  }
  const std::string full = resolve_path(*path, context.defaults.cwd);
  auto data = read_up_to(full, static_cast<std::size_t>(limit) + 1);  // one more: cut or not?
  if (!data) return text_result(data.error().message, true);
  const bool truncated = data->size() > static_cast<std::size_t>(limit);
  if (truncated) data->resize(static_cast<std::size_t>(limit));
  std::string text = printable(*data);
  if (truncated) text += "\n[truncated at " + std::to_string(limit) + " bytes]";
  return text_result(std::move(text));
}

Json write_file(const ExecContext& context, const Json& arguments) {
  auto path = string_arg(arguments, "path", true);
  auto content = string_arg(arguments, "content", true);
  auto encoding = string_arg(arguments, "encoding", false);
  for (auto* r : {&path, &content, &encoding}) {
    if (!*r) return bad_arguments("write_file", r->error().message);
  }
  std::string bytes = *content;
  if (*encoding == "base64") {
    auto decoded = sandbox::base64_decode(*content);
    if (!decoded) return bad_arguments("write_file", "'content' is not valid base64");
    bytes = std::move(*decoded);
  } else if (!encoding->empty() && *encoding != "utf-8") {
    return bad_arguments("write_file", "'encoding' must be utf-8 or base64");
  }
  const Json& append_arg = arguments.value("append", Json(false));
  if (!append_arg.is_boolean())
    return bad_arguments("write_file", "'append' must be true or false");
  const bool append = append_arg.get<bool>();
  const std::string full = resolve_path(*path, context.defaults.cwd);
  auto written = write_whole(full, bytes, append);
  if (!written) return text_result(written.error().message, true);
  return text_result("wrote " + std::to_string(*written) + " bytes to " + full);
}

Json list_files(const ExecContext& context, const Json& arguments) {
  auto path = string_arg(arguments, "path", false);
  if (!path) return bad_arguments("list_files", path.error().message);
  const std::string full = resolve_path(path->empty() ? "." : *path, context.defaults.cwd);
  auto entries = read_directory(full);
  if (!entries) return text_result(entries.error().message, true);
  Json listing{{"path", full}, {"entries", Json::array()}};
  for (auto& entry : *entries) {
    listing["entries"].push_back({{"name", entry["name"]},
                                  {"type", entry["type"]},
                                  {"size", entry["size"]},
                                  {"mode", entry["mode"]}});
  }
  return structured_result(std::move(listing));
}

// A tool whose work is one quick synchronous step.
Tool quick_tool(Json descriptor, std::function<Json(const Json&)> body) {
  return {std::move(descriptor),
          [body = std::move(body)](ToolCallPtr call) -> asio::awaitable<Json> {
            co_return body(call->arguments);
          }};
}

}  // namespace

void log_line(const std::string& text) { std::fprintf(stderr, "hive-agent: %s\n", text.c_str()); }

Json text_result(std::string text, bool is_error) {
  Json content = Json::array();
  content.push_back({{"type", "text"}, {"text", std::move(text)}});
  Json out{{"content", std::move(content)}};
  if (is_error) out["isError"] = true;
  return out;
}

Json structured_result(Json structured, bool is_error) {
  Json out = text_result(sandbox::dump(structured), is_error);
  out["structuredContent"] = std::move(structured);
  return out;
}

Tool fetch_tool(asio::io_context& io);

std::vector<Tool> builtin_tools(asio::io_context& io, const ExecContext& context) {
  std::vector<Tool> tools;
  tools.push_back({run_command_descriptor(), [&io, &context](ToolCallPtr call) {
                     return run_command(io, context, std::move(call));
                   }});
  tools.push_back(quick_tool(read_file_descriptor(),
                             [&context](const Json& args) { return read_file(context, args); }));
  tools.push_back(quick_tool(write_file_descriptor(),
                             [&context](const Json& args) { return write_file(context, args); }));
  tools.push_back(quick_tool(list_files_descriptor(),
                             [&context](const Json& args) { return list_files(context, args); }));
  tools.push_back(fetch_tool(io));
  return tools;
}

}  // namespace hive::agent::mcp
