// MCP figures: one tools/call round trip straight to a sandbox's agent (its Unix socket) as
// the floor, the same through the gateway (/mcp with X-Session-ID), through libsandbox's
// McpSession, and a bridged stdio server's tool through the gateway.
#include <curl/curl.h>
#include <strings.h>

#include "bench.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/mcp_client.hpp"

namespace hive::bench {
namespace {

using sandbox::Json;

// A kept-alive libcurl handle speaking MCP to one endpoint.
class RawMcp {
 public:
  int failures = 0;
  RawMcp(const std::string& url, const std::string& unix_socket, std::vector<std::string> headers)
      : curl_(curl_easy_init()), url_(url), socket_(unix_socket), headers_(std::move(headers)) {
    headers_.push_back("Content-Type: application/json");
    headers_.push_back("Accept: application/json, text/event-stream");
    post(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})");
    headers_.push_back("Mcp-Session-Id: " + session_);
  }
  ~RawMcp() { curl_easy_cleanup(curl_); }
  // One request; false when the answer was not a 200 with a result.
  bool post(const std::string& body) {
    answer_.clear();
    curl_slist* list = nullptr;
    for (const auto& h : headers_) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    if (!socket_.empty()) curl_easy_setopt(curl_, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &RawMcp::on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &RawMcp::on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    const bool ok = rc == CURLE_OK && answer_.find("\"result\"") != std::string::npos;
    failures += ok ? 0 : 1;
    return ok;
  }

 private:
  static size_t on_header(char* data, size_t size, size_t n, void* self) {
    std::string line(data, size * n);
    if (strncasecmp(line.c_str(), "Mcp-Session-Id:", 15) == 0) {
      auto& session = static_cast<RawMcp*>(self)->session_;
      session = line.substr(16);
      session.erase(session.find_last_not_of("\r\n ") + 1);
    }
    return size * n;
  }
  static size_t on_body(char* data, size_t size, size_t n, void* self) {
    static_cast<RawMcp*>(self)->answer_.append(data, size * n);
    return size * n;
  }

  CURL* curl_;
  std::string url_, socket_, session_, answer_;
  std::vector<std::string> headers_;
};

std::string call_body(const std::string& tool, const Json& arguments) {
  return Json{{"jsonrpc", "2.0"},
              {"id", 1},
              {"method", "tools/call"},
              {"params", {{"name", tool}, {"arguments", arguments}}}}
      .dump();
}

// The reference server bridged in a sandbox of its own, or "" when it is not installed.
std::string bridged_sandbox(test::TestServer& server) {
  const std::string dir = std::string(HIVE_SOURCE_DIR) + "/tests/interop/everything";
  if (test::slurp(dir + "/package.json").empty()) return "";
  sandbox::SandboxSpec spec;
  spec.mcp_servers = {{"everything",
                       {{"command", "node"},
                        {"args",
                         {"/workspace/everything/node_modules/@modelcontextprotocol/"
                          "server-everything/dist/index.js",
                          "stdio"}}}}};
  auto sb = server.client().spawn(spec);
  if (!sb || server.hivectl({"cp", dir, sb->id + ":/workspace/everything"}).exit_code != 0)
    return "";
  return sb->id;
}

}  // namespace

void bench_mcp(test::TestServer& server, int calls) {
  auto sb = server.client().spawn({});
  if (!sb) return;
  const std::string socket = server.state_dir() + "/sandboxes/" + sb->id + "/agent.sock";
  const std::vector<std::string> gateway_headers{"Authorization: Bearer " + server.token(),
                                                 "X-Session-ID: " + sb->id};
  RawMcp direct("http://agent/mcp", socket, {});
  RawMcp gateway(server.url() + "/mcp", "", gateway_headers);
  const auto read = call_body("read_file", {{"path", "/etc/hostname"}});
  const auto run = call_body("run_command", {{"command", "true"}});
  Row floor{"mcp read_file, straight to the agent", measure(calls, [&] { direct.post(read); })};
  Row via{"mcp read_file via gateway (/mcp, X-Session-ID)",
          measure(calls, [&] { gateway.post(read); })};
  auto session =
      sandbox::McpSession::open({.server = server.url(), .token = server.token()}, sb->id);
  Row lib{"mcp read_file via gateway (libsandbox McpSession)", {}};
  if (session) {
    lib.samples = measure(calls, [&] {
      (void)session->call_tool("read_file", {{"path", "/etc/hostname"}});
    });
  }
  Row run_direct{"mcp run_command true, straight to the agent",
                 measure(calls, [&] { direct.post(run); })};
  Row run_via{"mcp run_command true via gateway", measure(calls, [&] { gateway.post(run); })};
  Row bridged{"mcp everything_echo (bridged stdio) via gateway", {}};
  if (auto id = bridged_sandbox(server); !id.empty()) {
    RawMcp to_bridge(server.url() + "/mcp", "", {gateway_headers[0], "X-Session-ID: " + id});
    const auto echo = call_body("everything_echo", {{"message", "hi"}});
    to_bridge.post(echo);  // starts node
    bridged.samples = measure(calls, [&] { to_bridge.post(echo); });
    (void)server.client().deprovision(id);
  }
  std::printf("\nMCP tools/call round trip (floor: read_file straight to the agent)\n");
  print({floor, via, lib, run_direct, run_via, bridged}, floor);
  std::printf("mcp gateway overhead p50: %.1f us; failed calls: %d\n",
              percentile(via.samples, 0.5) - percentile(floor.samples, 0.5),
              direct.failures + gateway.failures);
  (void)server.client().deprovision(sb->id);
}

}  // namespace hive::bench
