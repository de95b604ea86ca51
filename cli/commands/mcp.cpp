// hivectl mcp tools / call: a sandbox's MCP tools through the gateway, for debugging what an
// agent sees.
#include <unistd.h>

#include "app.hpp"
#include "hive/sandbox/mcp.hpp"
#include "hive/sandbox/mcp_client.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

struct McpOptions {
  std::string id, tool, json;
  std::vector<std::string> args;
};

// "\r[3/10] message" on a terminal's stderr, redrawn in place; nothing when piped.
sandbox::McpSession::OnProgress progress_line(Invocation& inv) {
  if (!isatty(STDERR_FILENO) || &inv.io.err != &std::cerr) return {};
  return [&inv](const sandbox::McpProgress& p) {
    auto number = [](double v) {
      std::string text = std::to_string(v);
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.') text.pop_back();
      return text;
    };
    std::string line = "[" + number(p.progress) + (p.total ? "/" + number(*p.total) : "") + "]";
    if (!p.message.empty()) line += " " + p.message;
    inv.io.err << "\r\033[K" << line.substr(0, 120) << std::flush;
  };
}

Result<sandbox::Json> arguments_for(sandbox::McpSession& session, const McpOptions& o) {
  sandbox::Json base = sandbox::Json::object();
  if (!o.json.empty()) {
    auto parsed = sandbox::parse_json(o.json);
    if (!parsed) return make_error(Errc::invalid_argument, "--json: " + parsed.error().message);
    base = std::move(*parsed);
  }
  if (o.args.empty()) return sandbox::mcp::tool_arguments(sandbox::Json::object(), {}, base);
  auto tools = session.list_tools();  // --arg values follow the tool's input schema
  if (!tools) return tools.error();
  for (const auto& tool : *tools) {
    if (tool.name == o.tool) return sandbox::mcp::tool_arguments(tool.input_schema, o.args, base);
  }
  return make_error(Errc::not_found, "no tool '" + o.tool + "' in sandbox " + o.id +
                                         " (hivectl mcp tools " + o.id + " lists them)");
}

int run_call(Invocation& inv, const McpOptions& o) {
  auto session = sandbox::McpSession::open(inv.client_options(), o.id);
  if (!session) return inv.fail(session.error());
  auto arguments = arguments_for(*session, o);
  if (!arguments) return inv.fail(arguments.error());
  auto on_progress = progress_line(inv);
  auto result = session->call_tool(o.tool, *arguments, on_progress);
  if (on_progress) inv.io.err << "\r\033[K" << std::flush;
  if (!result) return inv.fail(result.error());
  const auto options = inv.print_options();
  if (options.structured()) {
    sandbox::Json out{{"content", result->content}};
    if (!result->structured.is_null()) out["structuredContent"] = result->structured;
    if (result->is_error) out["isError"] = true;
    print_structured(inv.io.out, options, out);
  } else {
    std::string text = result->text();
    (result->is_error ? inv.io.err : inv.io.out)
        << text << (text.empty() || text.back() == '\n' ? "" : "\n");
  }
  return result->is_error ? kExitToolError : kExitOk;
}

}  // namespace

void add_mcp(CLI::App& app, Invocation& inv) {
  auto* mcp = app.add_subcommand("mcp", "Use a sandbox's MCP tools (list, call)");
  mcp->require_subcommand(1);
  mcp->footer(R"(MCP clients reach the same tools at /v1/sandboxes/ID/mcp, or at /mcp with the
header X-Session-ID: ID. Bridged stdio servers' tools are named <server>_<tool>.)");

  auto tools_options = std::make_shared<McpOptions>();
  auto* tools = mcp->add_subcommand("tools", "List a sandbox's MCP tools");
  tools->footer(R"(Examples:
  hivectl mcp tools sb-4k7q2m9x
  hivectl mcp tools sb-4k7q2m9x -o json     # with input and output schemas)");
  tools->add_option("ID", tools_options->id, "sandbox id or name")->required();
  tools->callback([&inv, tools_options] {
    inv.run = [&inv, tools_options] {
      auto session = sandbox::McpSession::open(inv.client_options(), tools_options->id);
      if (!session) return inv.fail(session.error());
      std::vector<std::string> unavailable;
      auto listed = session->list_tools(&unavailable);
      if (!listed) return inv.fail(listed.error());
      print_mcp_tools(inv.io.out, inv.print_options(), *listed);
      // The tools that did answer are listed; a server whose tools are missing is an error.
      for (const auto& why : unavailable) inv.io.err << "hivectl: " << why << "\n";
      return unavailable.empty() ? kExitOk : kExitError;
    };
  });

  auto call_options = std::make_shared<McpOptions>();
  auto* call = mcp->add_subcommand("call", "Call one MCP tool and print its result");
  call->footer(R"(--arg name=value: the value is read as JSON when it parses (42, true, {"a":1}),
else as text, then made to fit the tool's input schema (a string property keeps "42" as
text). --json gives the arguments as one object; --arg values go on top. The text content
is printed (to stderr when the tool reports an error, exit code 4); -o json prints the
whole result, structuredContent included. A progress line shows on a terminal.

Examples:
  hivectl mcp call sb-4k7q2m9x run_command --arg command='ls -la'
  hivectl mcp call sb-4k7q2m9x read_file --arg path=/etc/os-release
  hivectl mcp call sb-4k7q2m9x everything_get-sum --arg a=2 --arg b=3 -o json
  hivectl mcp call sb-4k7q2m9x write_file --json '{"path": "x.txt", "content": "hi"}')");
  call->add_option("ID", call_options->id, "sandbox id or name")->required();
  call->add_option("TOOL", call_options->tool, "tool name (hivectl mcp tools ID)")->required();
  call->add_option("--arg", call_options->args, "an argument, name=value (repeatable)");
  call->add_option("--json", call_options->json, "the arguments as a JSON object");
  call->callback([&inv, call_options] {
    inv.run = [&inv, call_options] { return run_call(inv, *call_options); };
  });
}

}  // namespace hive::cli
