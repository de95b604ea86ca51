// The agent's MCP server through the gateway, spoken on the wire with curl(1): sessions,
// revisions, the errors clients rely on, the built-in tools, SSE progress and cancellation.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>

#include "checks.hpp"
#include "hive/sandbox/codec.hpp"
#include "process.hpp"

using hive::sandbox::Json;
using hive::test::TestServer;

namespace {

struct Answer {
  int status = 0;
  std::string headers, body;
  Json json() const { return Json::parse(body); }
  std::string header(const std::string& name) const {
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    auto at = lower(headers).find("\n" + lower(name) + ":");
    if (at == std::string::npos) return "";
    auto start = headers.find_first_not_of(' ', at + name.size() + 2);  // past "\nName:"
    return hive::test::trim(headers.substr(start, headers.find('\r', start) - start));
  }
};

// One request to `url` with curl, with these headers ("Name: value").
Answer mcp_post(const std::string& url, const std::vector<std::string>& headers,
                const std::string& body, const std::string& method = "POST") {
  std::vector<std::string> argv{"/usr/bin/curl",
                                "-s",
                                "-i",
                                "-X",
                                method,
                                "-H",
                                "Content-Type: application/json",
                                "-H",
                                "Accept: application/json, text/event-stream"};
  for (const auto& h : headers) argv.insert(argv.end(), {"-H", h});
  if (!body.empty()) argv.insert(argv.end(), {"--data-binary", body});
  argv.push_back(url);
  auto out = hive::test::run(argv).out;
  Answer answer;
  auto split = out.find("\r\n\r\n");
  answer.headers = out.substr(0, split);
  answer.body = split == std::string::npos ? "" : out.substr(split + 4);
  if (out.size() > 12) answer.status = std::stoi(out.substr(9, 3));
  return answer;
}

std::string rpc(int id, const std::string& method, const Json& params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
}

// A session with one sandbox's MCP server through /v1/sandboxes/{id}/mcp.
struct Session {
  std::string url;
  std::vector<std::string> auth;
  std::string id;

  Session(const TestServer& server, const std::string& sandbox)
      : url(server.url() + "/v1/sandboxes/" + sandbox + "/mcp"),
        auth{"Authorization: Bearer " + server.token()} {
    auto init = mcp_post(url, auth, rpc(1, "initialize", {{"protocolVersion", "2025-06-18"}}));
    REQUIRE(init.status == 200);
    id = init.header("Mcp-Session-Id");
    REQUIRE(id.size() == 32);
  }
  std::vector<std::string> headers() const {
    auto out = auth;
    out.push_back("Mcp-Session-Id: " + id);
    out.push_back("MCP-Protocol-Version: 2025-06-18");
    return out;
  }
  Answer post(const std::string& body) const { return mcp_post(url, headers(), body); }
  Json call(const std::string& tool, const Json& arguments) const {
    auto answer = post(rpc(7, "tools/call", {{"name", tool}, {"arguments", arguments}}));
    REQUIRE(answer.status == 200);
    return answer.json();
  }
};

std::string first_text(const Json& result) { return result["content"][0]["text"]; }

}  // namespace

TEST_CASE("MCP sessions: initialize, revisions, and the errors clients rely on",
          "[integration][mcp]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  const std::string url = server.url() + "/v1/sandboxes/" + sb->id + "/mcp";
  const std::vector<std::string> auth{"Authorization: Bearer " + server.token()};

  auto old = mcp_post(url, auth, rpc(1, "initialize", {{"protocolVersion", "2025-03-26"}}));
  CHECK(old.json()["result"]["protocolVersion"] == "2025-03-26");
  auto future = mcp_post(url, auth, rpc(1, "initialize", {{"protocolVersion", "2099-01-01"}}));
  CHECK(future.json()["result"]["protocolVersion"] == "2025-11-25");
  CHECK(future.json()["result"]["capabilities"].contains("tools"));

  Session session(server, sb->id);
  auto note = session.post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  CHECK(note.status == 202);
  CHECK(note.body.empty());
  CHECK(session.post(rpc(2, "ping")).json()["result"] == Json::object());
  CHECK(session.post(rpc(3, "resources/list")).json()["error"]["code"] == -32601);

  auto no_session = mcp_post(url, auth, rpc(4, "tools/list"));
  CHECK(no_session.status == 400);
  CHECK_THAT(no_session.body, Catch::Contains("Mcp-Session-Id"));
  auto unknown = mcp_post(url, {auth[0], "Mcp-Session-Id: 0123"}, rpc(4, "tools/list"));
  CHECK(unknown.status == 404);
  CHECK(unknown.json()["jsonrpc"] == "2.0");
  auto bad_revision =
      mcp_post(url, {auth[0], "Mcp-Session-Id: " + session.id, "MCP-Protocol-Version: 1999-01-01"},
               rpc(4, "tools/list"));
  CHECK(bad_revision.status == 400);
  CHECK_THAT(bad_revision.body, Catch::Contains("1999-01-01"));
  auto batch = session.post("[" + rpc(5, "ping") + "]");
  CHECK(batch.status == 400);
  CHECK(batch.json()["error"]["code"] == -32600);
  auto garbage = session.post("{not json");
  CHECK(garbage.status == 400);
  CHECK(garbage.json()["error"]["code"] == -32700);
  auto get = mcp_post(url, session.headers(), "", "GET");
  CHECK(get.status == 405);
  CHECK(get.header("Allow") == "POST, DELETE");

  auto ended = mcp_post(url, session.headers(), "", "DELETE");
  CHECK(ended.status == 200);
  CHECK(session.post(rpc(6, "ping")).status == 404);
}

TEST_CASE("/mcp finds the sandbox by X-Session-ID, with JSON-RPC errors", "[integration][mcp]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  const std::string url = server.url() + "/mcp";
  const std::string auth = "Authorization: Bearer " + server.token();
  const auto init = rpc(1, "initialize", {{"protocolVersion", "2025-11-25"}});

  auto by_id = mcp_post(url, {auth, "X-Session-ID: " + sb->id}, init);
  CHECK(by_id.status == 200);
  CHECK(by_id.header("Mcp-Session-Id").size() == 32);
  CHECK(mcp_post(url, {auth, "X-MCP-Session-ID: " + sb->id}, init).status == 200);

  auto missing = mcp_post(url, {auth}, init);
  CHECK(missing.status == 400);
  CHECK(missing.json()["error"]["code"] == -32000);
  CHECK_THAT(missing.body, Catch::Contains("X-Session-ID"));
  auto unknown = mcp_post(url, {auth, "X-Session-ID: sb-nothere"}, init);
  CHECK(unknown.status == 404);
  CHECK(unknown.json()["jsonrpc"] == "2.0");
  CHECK(mcp_post(url, {"X-Session-ID: " + sb->id}, init).status == 401);

  // The agent gone (killed under the server): 502, still JSON-RPC.
  auto agent = hive::test::agent_pid(sb->id);
  REQUIRE(!agent.empty());
  hive::test::run({"/bin/kill", "-9", agent});
  auto down = mcp_post(url, {auth, "X-Session-ID: " + sb->id}, init);
  CHECK((down.status == 502 || down.status == 409));  // 409 once the reaper marked it Failed
  CHECK(down.json()["jsonrpc"] == "2.0");
}

TEST_CASE("MCP built-in tools run commands and work with files", "[integration][mcp]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  Session session(server, sb->id);

  auto listed = session.post(rpc(2, "tools/list")).json()["result"]["tools"];
  std::vector<std::string> names;
  for (const auto& tool : listed) names.push_back(tool["name"]);
  CHECK(names ==
        std::vector<std::string>{"run_command", "read_file", "write_file", "list_files", "fetch"});
  CHECK(listed[0]["outputSchema"]["required"].size() == 3);

  auto echo = session.call("run_command", {{"command", "echo hi; echo oops >&2"}})["result"];
  CHECK(echo["structuredContent"]["stdout"] == "hi\n");
  CHECK(echo["structuredContent"]["stderr"] == "oops\n");
  CHECK(Json::parse(first_text(echo)) == echo["structuredContent"]);  // the same JSON as text
  CHECK_FALSE(echo.contains("isError"));
  auto failing = session.call("run_command", {{"command", "exit 3"}})["result"];
  CHECK(failing["isError"] == true);
  CHECK(failing["structuredContent"]["exit_code"] == 3);
  auto slow =
      session.call("run_command", {{"command", "sleep 5"}, {"timeout_seconds", 1}})["result"];
  CHECK(slow["structuredContent"]["timed_out"] == true);
  auto bad = session.call("run_command", {{"cmd", "ls"}})["result"];
  CHECK(bad["isError"] == true);
  CHECK_THAT(first_text(bad), Catch::Contains("'cmd'"));
  CHECK(session.call("no_such_tool", Json::object())["error"]["code"] == -32602);

  auto wrote =
      session.call("write_file", {{"path", "notes/a.txt"}, {"content", "hello\n"}})["result"];
  CHECK_THAT(first_text(wrote), Catch::Contains("/workspace/notes/a.txt"));
  CHECK(first_text(session.call("read_file", {{"path", "notes/a.txt"}})["result"]) == "hello\n");
  auto client = server.client();
  CHECK(hive::test::run_in(client, sb->id, "cat /workspace/notes/a.txt").stdout_data == "hello\n");
  auto missing = session.call("read_file", {{"path", "/nope"}})["result"];
  CHECK(missing["isError"] == true);
  CHECK_THAT(first_text(missing), Catch::Contains("No such file"));
  auto listing = session.call("list_files", {{"path", "notes"}})["result"]["structuredContent"];
  CHECK(listing["entries"][0]["name"] == "a.txt");
  CHECK(listing["entries"][0]["size"] == 6);
}

TEST_CASE("MCP progress arrives as SSE and a cancel kills the command", "[integration][mcp]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  Session session(server, sb->id);

  Json params{{"name", "run_command"},
              {"arguments", {{"command", "sleep 2.3; echo done"}}},
              {"_meta", {{"progressToken", "tok-1"}}}};
  auto streamed = session.post(rpc(9, "tools/call", params));
  CHECK(streamed.status == 200);
  CHECK_THAT(streamed.header("Content-Type"), Catch::StartsWith("text/event-stream"));
  std::vector<Json> events;
  for (std::size_t at = 0; (at = streamed.body.find("data: ", at)) != std::string::npos;) {
    auto end = streamed.body.find('\n', at);
    events.push_back(Json::parse(streamed.body.substr(at + 6, end - at - 6)));
    at = end;
  }
  REQUIRE(events.size() >= 2);
  CHECK(events.front()["method"] == "notifications/progress");
  CHECK(events.front()["params"]["progressToken"] == "tok-1");
  CHECK(events.back()["id"] == 9);
  CHECK(events.back()["result"]["structuredContent"]["stdout"] == "done\n");

  auto started = std::chrono::steady_clock::now();
  auto call = std::async(std::launch::async, [&] {
    return session.call("run_command", {{"command", "sleep 60"}});
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto note = session.post(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}})");
  CHECK(note.status == 202);
  auto cancelled = call.get()["result"];
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK(cancelled["isError"] == true);
  CHECK_THAT(first_text(cancelled), Catch::Contains("cancelled"));
  auto client = server.client();
  CHECK(hive::test::run_in(client, sb->id, "pgrep -x sleep || echo none").stdout_data == "none\n");
}

TEST_CASE("odd MCP messages get errors and the agent lives on", "[integration][mcp]") {
  TestServer server;
  auto sb = server.client().spawn({});
  REQUIRE(sb);
  Session session(server, sb->id);
  const std::vector<std::string> odd{
      R"({"jsonrpc":2,"id":1,"method":"ping"})",
      R"({"jsonrpc":"2.0","id":1,"method":5})",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":5}})",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":"x"})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"99999999"}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":7}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_command","arguments":[1]}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"x","content":"y","append":"yes"}}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":7,"max_bytes":-1}}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch","arguments":{"url":"http://[::1","timeout_seconds":"x"}}})",
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":"x"})",
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"a":1}}})",
      R"({"jsonrpc":"2.0","id":{"weird":true},"result":{}})",
      R"("just a string")",
      R"(null)"};
  for (const auto& body : odd) {
    INFO(body);
    auto answer = session.post(body);
    CHECK(answer.status >= 200);
    CHECK(answer.status < 500);
  }
  CHECK(session.post(rpc(2, "ping")).json()["result"] == Json::object());
  CHECK(hive::test::agent_pid(sb->id) != "");
}
