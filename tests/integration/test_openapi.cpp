// The server's OpenAPI description, and schemathesis (from PyPI) testing the server against it:
// thousands of generated requests, valid and not, and no 5xx, no crash, every answer's status,
// content type and body as documented.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "process.hpp"

using hive::test::TestServer;

TEST_CASE("schemathesis finds the server as its OpenAPI document describes it",
          "[integration][openapi]") {
  TestServer server;
  const std::string auth = "Authorization: Bearer " + server.token();
  auto fetched =
      hive::test::run({"/usr/bin/curl", "-sf", "-H", auth, server.url() + "/openapi.json"});
  REQUIRE(fetched.exit_code == 0);
  auto document = nlohmann::json::parse(fetched.out);
  CHECK(document["openapi"] == "3.0.3");
  for (const char* path : {"/healthz",
                           "/readyz",
                           "/metrics",
                           "/v1/version",
                           "/openapi.json",
                           "/v1/sandboxes",
                           "/v1/sandboxes/{id}",
                           "/v1/sandboxes/{id}/keepalive",
                           "/v1/sandboxes/{id}/exec",
                           "/v1/sandboxes/{id}/processes",
                           "/v1/sandboxes/{id}/processes/{pid}",
                           "/v1/sandboxes/{id}/processes/{pid}/logs",
                           "/v1/sandboxes/{id}/processes/{pid}/stdin",
                           "/v1/sandboxes/{id}/processes/{pid}/signal",
                           "/v1/sandboxes/{id}/processes/{pid}/wait",
                           "/v1/sandboxes/{id}/files",
                           "/v1/sandboxes/{id}/attach",
                           "/v1/sandboxes/{id}/mcp",
                           "/v1/images",
                           "/v1/images/pull",
                           "/v1/images/prune",
                           "/v1/images/{ref}",
                           "/mcp",
                           "/spawn",
                           "/deprovision/{uuid}",
                           "/deprovision-all"}) {
    CHECK(document["paths"].contains(path));
  }
  hive::test::TempDir dir;
  const std::string schema = dir.path() + "/openapi.json";
  REQUIRE(hive::test::run({"/bin/sh", "-c", "cat > " + schema}, fetched.out).exit_code == 0);

  // Every check but positive_data_acceptance: the document gives types and enums, not every
  // rule the server enforces (label syntax, quantities, argv-or-command), so some schema-valid
  // bodies get a 400 with a message, as they should.
  auto run = hive::test::run(
      {std::string(HIVE_SOURCE_DIR) + "/tests/interop/.venv/bin/schemathesis", "run", schema,
       "--url", server.url(), "-H", auth, "--checks", "all", "--exclude-checks",
       "positive_data_acceptance", "-n", "40", "--generation-deterministic", "--no-color"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains(" passed"));
  CHECK_THAT(run.out, !Catch::Contains("failures"));
  CHECK(server.hivectl({"list"}).exit_code == 0);  // still serving
  auto log = hive::test::slurp(server.state_dir() + "/server.log");
  CHECK(log.find(" 500 ") == std::string::npos);
}
