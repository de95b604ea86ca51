// Per-sandbox tokens, and the seeds' clients getting in with the token in their URL.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "process.hpp"

using hive::test::TestServer;
using hive::test::trim;
using nlohmann::json;

namespace {

// "<body> <status>" of a curl call.
std::string curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hive::test::run(argv).out;
}

json spawn_json(const TestServer& server) {
  auto spawned = server.hivectl({"spawn", "-o", "json"});
  REQUIRE(spawned.exit_code == 0);
  return json::parse(spawned.out);
}

}  // namespace

TEST_CASE("a sandbox token opens its sandbox and nothing else", "[integration][auth]") {
  TestServer server;
  auto mine = spawn_json(server), other = spawn_json(server);
  const std::string id = mine["id"], other_id = other["id"], token = mine["token"];
  REQUIRE(token.rfind("hsb." + id + ".", 0) == 0);

  // hivectl and libsandbox take it like any token.
  auto as_sandbox = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--token", token});
    return server.hivectl(args);
  };
  auto exec = as_sandbox({"exec", id, "--", "echo", "inside"});
  CHECK(exec.exit_code == 0);
  CHECK(exec.out == "inside\n");
  CHECK(as_sandbox({"get", id}).exit_code == 0);
  CHECK(as_sandbox({"keepalive", id}).exit_code == 0);
  auto mcp = as_sandbox({"mcp", "call", id, "run_command", "--arg", "command=echo mcp"});
  CHECK(mcp.exit_code == 0);
  CHECK_THAT(mcp.out, Catch::Contains("mcp"));

  // Not another sandbox, not the fleet, not the lifecycle.
  for (std::vector<std::string> args : {std::vector<std::string>{"exec", other_id, "--", "true"},
                                        {"get", other_id},
                                        {"list"},
                                        {"spawn"},
                                        {"deprovision", id},
                                        {"deprovision", other_id},
                                        {"mcp", "tools", other_id}}) {
    INFO(args[0] << " " << args.back());
    auto refused = as_sandbox(args);
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Catch::Contains("this token is sandbox " + id + "'s"));
  }
  CHECK_THAT(curl({"-H", "Authorization: Bearer " + token, "-H", "X-Session-ID: " + other_id, "-d",
                   "{}", server.url() + "/mcp"}),
             Catch::EndsWith(" 403"));
  CHECK(server.hivectl({"get", other_id}).exit_code == 0);  // still there
  CHECK(server.hivectl({"get", id}).exit_code == 0);

  // A tampered token is no token at all.
  auto forged = token;
  forged.replace(4, id.size(), other_id);
  auto refused = server.hivectl({"--token", forged, "exec", other_id, "--", "true"});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("invalid token"));
}

TEST_CASE("a client written for the seeds works unchanged", "[integration][seed]") {
  TestServer server({"--image-alias", "sandbox:general-0.1=host"});
  const std::string address = server.url().substr(std::string("http://").size());
  const std::string cp_url = "http://hive:" + server.token() + "@" + address;
  auto run = hive::test::run({std::string(HIVE_SOURCE_DIR) + "/tests/interop/.venv/bin/python",
                              std::string(HIVE_SOURCE_DIR) + "/tests/interop/seed/seed_client.py"},
                             "", {"CP_URL=" + cp_url});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("Status Code: 200"));
  CHECK_THAT(run.out, Catch::Contains("\"status\":\"Ready\""));
  CHECK_THAT(run.out, Catch::Contains("\"ports\":[3000]"));
  CHECK_THAT(run.out, Catch::Contains("\"namespace\":\"hive\""));
  CHECK_THAT(run.out, Catch::Contains("Initialize: 200 hive-agent"));
  CHECK_THAT(run.out, Catch::Contains("run_command"));
  CHECK_THAT(run.out, Catch::Contains("Call: \"hello from the seed client\\n\""));
  CHECK_THAT(run.out, Catch::Contains("Deprovision: 200 {\"message\":\"Deprovisioned\""));
  CHECK_THAT(run.out, Catch::Contains("Deprovision again: 404 {\"error\":\"UUID not found\"}"));
  CHECK_THAT(run.out, Catch::Contains("Deprovision all: 200 2"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out).empty());

  // Without the token in its URL the same client is told how to add it; a Hive sandbox spawned
  // with hivectl is not the seeds' to deprovision.
  auto kept = trim(server.hivectl({"spawn"}).out);
  auto bare = hive::test::run({std::string(HIVE_SOURCE_DIR) + "/tests/interop/.venv/bin/python",
                               std::string(HIVE_SOURCE_DIR) + "/tests/interop/seed/seed_client.py"},
                              "", {"CP_URL=" + server.url()});
  CHECK(bare.exit_code != 0);
  CHECK_THAT(bare.out, Catch::Contains("Status Code: 401"));
  CHECK_THAT(bare.out, Catch::Contains("http://hive:TOKEN@host:port"));
  auto none_of_theirs = curl({"-X", "DELETE", cp_url + "/deprovision-all"});
  CHECK_THAT(none_of_theirs, Catch::Contains("\"count\":0"));
  CHECK_THAT(none_of_theirs, Catch::EndsWith(" 200"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out) == kept);

  // Basic credentials open only the seeds' routes, not Hive's own API.
  CHECK_THAT(curl({cp_url + "/v1/sandboxes"}), Catch::EndsWith(" 401"));
  // The seed's field checks, with its error shape.
  auto no_image = curl({"-d", R"({"name":"x"})", cp_url + "/spawn"});
  CHECK_THAT(no_image, Catch::Contains(R"({"error":"image is required"})"));
  CHECK_THAT(no_image, Catch::EndsWith(" 400"));
  CHECK_THAT(curl({"-d", R"({"image":"host","ports":[3000]})", cp_url + "/spawn"}),
             Catch::Contains("container_port"));
  // An image that cannot be pulled (no registry is reachable from here) says which and why.
  CHECK_THAT(curl({"-d", R"({"image":"no-such-image"})", cp_url + "/spawn"}),
             Catch::Contains("pulling docker.io/library/no-such-image:latest: registry docker.io "
                             "is unreachable"));
}
