#include <catch2/catch.hpp>

#include "hive/sandbox/mcp.hpp"

using namespace hive::sandbox;
using namespace hive::sandbox::mcp;

namespace {

const Json kSchema = Json::parse(R"({"type": "object", "properties": {
  "text": {"type": "string"}, "count": {"type": "integer"}, "ratio": {"type": "number"},
  "on": {"type": "boolean"}, "opts": {"type": "object"}, "list": {"type": "array"}}})");

}  // namespace

TEST_CASE("--arg values follow the tool's input schema", "[unit]") {
  auto args = tool_arguments(kSchema, {"text=42", "count=7", "ratio=0.5", "on=true",
                                       R"(opts={"a":1})", "list=[1,2]", "free=3", "other=a=b"});
  REQUIRE(args);
  CHECK((*args)["text"] == "42");  // a string property keeps the text
  CHECK((*args)["count"] == 7);
  CHECK((*args)["ratio"] == 0.5);
  CHECK((*args)["on"] == true);
  CHECK((*args)["opts"]["a"] == 1);
  CHECK((*args)["list"].size() == 2);
  CHECK((*args)["free"] == 3);       // no schema: JSON when it parses
  CHECK((*args)["other"] == "a=b");  // split on the first '='
  CHECK(tool_arguments(kSchema, {"text=x y"}, Json{{"count", 1}})->at("count") == 1);
}

TEST_CASE("--arg values that cannot fit are refused with the name", "[unit]") {
  for (const char* bad :
       {"count=1.5", "count=x", "ratio=fast", "on=yes", "opts=[1]", "list={}", "noequals", "=x"}) {
    auto args = tool_arguments(kSchema, {bad});
    INFO(bad);
    REQUIRE_FALSE(args);
    CHECK(args.error().code == hive::Errc::invalid_argument);
  }
  CHECK(tool_arguments(kSchema, {"count=x"}).error().message ==
        "--arg count: 'x' is not an integer");
  CHECK_FALSE(tool_arguments(kSchema, {}, Json::array()));
}

TEST_CASE("stdio server configs: spawn spec and Claude-desktop file", "[unit]") {
  auto servers = stdio_servers_from_json(Json::parse(
      R"({"terminal-controller": {"command": "uvx", "args": ["terminal_controller"],
          "env": {"A": "1"}}, "fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}})"));
  REQUIRE(servers);
  REQUIRE(servers->size() == 2);
  CHECK((*servers)[1].name == "terminal-controller");
  CHECK((*servers)[1].env.at("A") == "1");

  auto file = stdio_servers_from_file_json(
      Json::parse(R"({"mcpServers": {"fs": {"type": "stdio", "command": "npx", "args": []}}})"));
  REQUIRE(file);
  CHECK(file->front().command == "npx");

  const std::pair<const char*, const char*> refused[] = {
      {R"({"a_b": {"command": "x"}})", "no '_'"},
      {R"({"a": {"args": []}})", "mcp_servers.a.command"},
      {R"({"a": {"command": "x", "args": "no"}})", "args"},
      {R"({"a": {"command": "x", "url": "http://x"}})", "url"},
      {R"({"a": {"command": "x", "type": "http"}})", "only stdio"},
      {R"({"a": {"command": "x", "cwd": "rel"}})", "absolute"},
      {R"({"": {"command": "x"}})", "not a server name"},
      {R"([])", "expected an object"}};
  for (const auto& [text, why] : refused) {
    INFO(text);
    auto parsed = stdio_servers_from_json(Json::parse(text));
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error().message, Catch::Contains(why));
  }
  CHECK_FALSE(stdio_servers_from_file_json(Json::parse(R"({"servers": {}})")));
}

TEST_CASE("MCP revisions and JSON-RPC shapes", "[unit]") {
  CHECK(supported_revision("2025-03-26"));
  CHECK(supported_revision("2025-11-25"));
  CHECK_FALSE(supported_revision("2024-11-05"));
  auto error = error_message(7, kInvalidParams, "no");
  CHECK(error["id"] == 7);
  CHECK(error["error"]["code"] == -32602);
  CHECK(tool_error("x")["isError"] == true);
}
