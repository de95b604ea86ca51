// hivectl against scripted servers (fake_http): one that never answers, one that is not Hive,
// and a fake Hive for the verbs whose output is the point (version -o json, logs without a
// pid, -l on get/describe/keepalive/wait, list -w -o json, cp --).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "fake_http.hpp"
#include "hive/sandbox/codec.hpp"
#include "run_hivectl.hpp"

using namespace hive::cli;
using Catch::Contains;
using hive::test::FakeHttp;
using hive::test::Reply;
using hive::test::run_cli;

namespace {

std::string sandbox_json(const std::string& id, const std::string& state) {
  return R"({"id": ")" + id + R"(", "state": ")" + state +
         R"(", "image": "host", "created_at": "2027-01-15T08:00:00.000Z"})";
}

// hivectl ARGS against `server`, with a token so that no local one is looked for.
hive::test::CliRun against(const FakeHttp& server, std::vector<std::string> args) {
  args.insert(args.begin(), {"--server", server.url(), "--token", "t"});
  return run_cli(args);
}

}  // namespace

TEST_CASE("a server that accepts and never answers is given up on, and named", "[unit]") {
  FakeHttp silent([](const std::string&, const std::string&) { return std::nullopt; });
  for (std::vector<std::string> verb :
       {std::vector<std::string>{"list"}, {"get", "sb-1"}, {"version"}, {"keepalive", "sb-1"}}) {
    std::vector<std::string> args{"--request-timeout", "1s"};
    args.insert(args.end(), verb.begin(), verb.end());
    auto r = against(silent, args);
    CHECK(r.code == kExitNoServer);
    CHECK_THAT(r.err, Contains("hivectl: server " + silent.url() +
                               " did not answer within 1s (--request-timeout)\n"));
  }
  auto bad = run_cli({"--request-timeout", "soon", "list"});
  CHECK(bad.code == kExitUsage);
  CHECK_THAT(bad.err, Contains("expected a duration like 30s"));
}

TEST_CASE("a server that is not Hive is said to be so, not printed", "[unit]") {
  FakeHttp web([](const std::string& method, const std::string&) -> std::optional<Reply> {
    if (method != "GET") return Reply{501, "text/html", "<html><body>Unsupported</body></html>"};
    return Reply{404, "text/html;charset=utf-8", "<!DOCTYPE HTML><html>Nope</html>"};
  });
  auto list = against(web, {"list"});
  CHECK(list.code == kExitNoServer);
  CHECK(list.err == "hivectl: " + web.url() +
                        " is not a Hive server (got text/html 404 from GET /v1/sandboxes)\n");
  auto logs = against(web, {"logs", "sb-1", "7"});  // a stream
  CHECK(logs.err == "hivectl: " + web.url() +
                        " is not a Hive server (got text/html 404 from GET "
                        "/v1/sandboxes/sb-1/processes/7/logs)\n");
  FakeHttp ok_page([](const std::string&, const std::string&) {
    return Reply{200, "text/html", "<html>Directory listing</html>"};
  });
  CHECK_THAT(against(ok_page, {"get", "sb-1"}).err,
             Contains("is not a Hive server (got text/html 200 from GET /v1/sandboxes/sb-1)"));
}

TEST_CASE("version -o json has both versions, or the client's and the reason", "[unit]") {
  FakeHttp hive([](const std::string&, const std::string& target) -> std::optional<Reply> {
    if (target == "/v1/version") {
      return Reply{200, "application/json",
                   R"({"version": "9.9.9", "api": "v1", "runtime": "local"})"};
    }
    return Reply{404, "application/json", "{}"};
  });
  auto both = against(hive, {"version", "-o", "json"});
  CHECK(both.code == 0);
  auto json = hive::sandbox::parse_json(both.out);
  REQUIRE(json);
  CHECK((*json)["clientVersion"]["version"] == HIVE_VERSION);
  CHECK((*json)["serverVersion"]["version"] == "9.9.9");
  CHECK((*json)["serverVersion"]["runtime"] == "local");

  auto alone = run_cli({"--server", "http://127.0.0.1:1", "--token", "t", "version", "-o", "json"});
  CHECK(alone.code == kExitNoServer);
  auto client_only = hive::sandbox::parse_json(alone.out);
  REQUIRE(client_only);
  CHECK((*client_only)["clientVersion"]["version"] == HIVE_VERSION);
  CHECK_FALSE(client_only->contains("serverVersion"));
  CHECK_THAT(alone.err, Contains("cannot reach hive-server at http://127.0.0.1:1"));
}

TEST_CASE("logs without a pid: the only process's, else the list to pick from", "[unit]") {
  std::string processes;
  FakeHttp hive([&](const std::string&, const std::string& target) -> std::optional<Reply> {
    if (target == "/v1/sandboxes/sb-1/processes") return Reply{200, "application/json", processes};
    if (target == "/v1/sandboxes/sb-1/processes/7/logs") {
      return Reply{200, "application/x-ndjson",
                   "{\"type\": \"stdout\", \"data\": \"serving\\n\"}\n"
                   "{\"type\": \"exit\", \"exit_code\": 0}\n"};
    }
    return Reply{404, "application/json", R"({"error": {"code": "not_found", "message": "no"}})"};
  });
  processes = R"({"items": [{"pid": 7, "command": "python3 -m http.server", "state": "running"},
                            {"pid": 9, "command": "sleep 100", "state": "running"}]})";
  auto several = against(hive, {"logs", "sb-1"});
  CHECK(several.code == kExitUsage);
  CHECK(several.out.empty());
  CHECK_THAT(several.err, Catch::StartsWith("PID"));
  CHECK_THAT(several.err, Contains("python3 -m http.server"));
  CHECK_THAT(several.err, Contains("sleep 100"));
  CHECK_THAT(several.err, Contains("hivectl logs: sandbox \"sb-1\" has 2 background processes; "
                                   "say which: hivectl logs sb-1 PID\n"));
  processes = R"({"items": [{"pid": 7, "command": "python3 -m http.server", "state": "running"}]})";
  auto one = against(hive, {"logs", "sb-1"});
  CHECK(one.code == 0);
  CHECK(one.out == "serving\n");
  processes = R"({"items": []})";
  auto none = against(hive, {"logs", "sb-1"});
  CHECK(none.code == kExitError);
  CHECK(none.err ==
        "hivectl logs: sandbox \"sb-1\" has no background processes; start one "
        "with: hivectl exec -d sb-1 -- COMMAND\n");
}

TEST_CASE("-l picks the sandboxes for get, describe, keepalive and wait", "[unit]") {
  std::string listed = "{\"items\": [" + sandbox_json("sb-1", "Running") + ", " +
                       sandbox_json("sb-2", "Terminated") + "]}";
  FakeHttp hive([&](const std::string& method, const std::string& target) -> std::optional<Reply> {
    if (method == "GET" && target.rfind("/v1/sandboxes?selector=", 0) == 0) {
      return Reply{200, "application/json", listed};
    }
    if (target == "/v1/sandboxes/sb-1")
      return Reply{200, "application/json", sandbox_json("sb-1", "Running")};
    if (target == "/v1/sandboxes/sb-2")
      return Reply{200, "application/json", sandbox_json("sb-2", "Terminated")};
    if (target == "/v1/sandboxes/sb-1/keepalive") {
      return Reply{200, "application/json", sandbox_json("sb-1", "Running")};
    }
    return Reply{404, "application/json", R"({"error": {"code": "not_found", "message": "no"}})"};
  });
  auto get = against(hive, {"get", "-l", "run=42", "-o", "name"});
  CHECK(get.code == 0);
  CHECK(get.out == "sb-1\nsb-2\n");
  CHECK(hive.requests().back() == "GET /v1/sandboxes?selector=run%3D42");
  auto described = against(hive, {"describe", "-l", "run=42"});
  CHECK(described.code == 0);
  CHECK_THAT(described.out, Contains("sb-1"));
  CHECK_THAT(described.out, Contains("sb-2"));
  auto kept = against(hive, {"keepalive", "-l", "run=42", "-o", "name"});
  CHECK(kept.code == 0);
  CHECK(kept.out == "sb-1\n");  // the ended one is left alone
  CHECK(hive.requests().back() == "POST /v1/sandboxes/sb-1/keepalive");

  listed = R"({"items": []})";
  auto none = against(hive, {"wait", "-l", "run=42", "--for=delete"});
  CHECK(none.code == kExitError);
  CHECK(none.err ==
        "hivectl: no sandboxes match -l 'run=42' (hivectl list -l 'run=42' shows them)\n");
  auto empty_get = against(hive, {"get", "-l", "run=42"});
  CHECK(empty_get.code == 0);
  CHECK(empty_get.err == "No sandboxes match -l 'run=42'.\n");
}

TEST_CASE("list -w -o json prints one compact event a line", "[unit]") {
  FakeHttp hive([](const std::string&, const std::string&) {
    return Reply{200, "application/x-ndjson",
                 "{\"type\": \"ADDED\", \"object\": " + sandbox_json("sb-1", "Starting") +
                     "}\n{\"type\": \"MODIFIED\", \"object\": " + sandbox_json("sb-1", "Running") +
                     "}\n"};
  });
  auto watched = against(hive, {"list", "-w", "-o", "json"});
  CHECK(watched.code == 0);
  std::istringstream lines(watched.out);
  std::vector<std::string> events;
  for (std::string line; std::getline(lines, line);) events.push_back(line);
  REQUIRE(events.size() == 2);
  CHECK_THAT(events[0], Catch::StartsWith("{\"object\":{"));
  CHECK((*hive::sandbox::parse_json(events[0]))["type"] == "ADDED");
  CHECK((*hive::sandbox::parse_json(events[1]))["object"]["state"] == "Running");
}

TEST_CASE("cp takes a local name that starts with '-' after --", "[unit]") {
  const std::string name = "-notes-hive-test.txt";
  std::ofstream(name) << "hi\n";
  FakeHttp hive([](const std::string& method, const std::string&) -> std::optional<Reply> {
    if (method == "GET") {  // the stat of the destination: a directory
      return Reply{200, "application/json",
                   R"({"name": "w", "path": "/w", "type": "directory", "size": 0, "mode": "0755",
                       "mtime": 0})"};
    }
    return Reply{200, "application/json", R"({"entries": 1, "bytes": 3})"};
  });
  auto copied = against(hive, {"cp", "--", name, "sb-1:/w"});
  std::remove(name.c_str());
  CHECK(copied.err.empty());
  CHECK(copied.code == 0);
  CHECK(hive.requests().back().rfind("PUT /v1/sandboxes/sb-1/files?path=", 0) == 0);
  auto unknown = against(hive, {"cp", name, "sb-1:/w"});  // without --, a flag
  CHECK(unknown.code == kExitUsage);
  CHECK_THAT(unknown.err, Contains("unknown flag: " + name));
}
