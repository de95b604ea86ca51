// The HTTP API as any client sees it, spoken with curl(1).
#include <catch2/catch.hpp>

#include "process.hpp"

using hive::test::TestServer;

namespace {

// Returns "<status> <body>".
std::string curl(const TestServer& /*server*/, std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hive::test::run(argv).out;
}

}  // namespace

TEST_CASE("the API answers bad requests with status and message", "[integration]") {
  TestServer server;
  const std::string auth = "Authorization: Bearer " + server.token();
  const std::string sandboxes = server.url() + "/v1/sandboxes";

  auto health = curl(server, {server.url() + "/healthz"});
  CHECK_THAT(health, Catch::EndsWith(" 200"));
  auto ready = curl(server, {server.url() + "/readyz"});
  CHECK_THAT(ready, Catch::Contains("\"ready\":true"));
  CHECK_THAT(ready, Catch::EndsWith(" 200"));

  auto no_token = curl(server, {sandboxes});
  CHECK_THAT(no_token, Catch::EndsWith(" 401"));
  CHECK_THAT(no_token, Catch::Contains("\"code\":\"unauthorized\""));
  CHECK_THAT(curl(server, {"-H", "Authorization: Bearer nope", sandboxes}),
             Catch::EndsWith(" 401"));

  auto malformed = curl(server, {"-H", auth, "-d", "{bad", sandboxes});
  CHECK_THAT(malformed, Catch::EndsWith(" 400"));
  CHECK_THAT(malformed, Catch::Contains("malformed JSON"));

  auto wrong_type = curl(server, {"-H", auth, "-d", R"({"ttl_seconds":"soon"})", sandboxes});
  CHECK_THAT(wrong_type, Catch::EndsWith(" 400"));
  CHECK_THAT(wrong_type, Catch::Contains("field 'ttl_seconds'"));

  auto method = curl(server, {"-H", auth, "-X", "PUT", sandboxes});
  CHECK_THAT(method, Catch::EndsWith(" 405"));
  CHECK_THAT(curl(server, {"-H", auth, server.url() + "/v1/nothing"}), Catch::EndsWith(" 404"));
  CHECK_THAT(curl(server, {"-H", auth, sandboxes + "/sb-none"}), Catch::EndsWith(" 404"));
  CHECK_THAT(curl(server, {"-H", auth, "-d", R"({"argv":["ls"]})", sandboxes + "/sb-none/exec"}),
             Catch::EndsWith(" 404"));

  auto delete_unqualified = curl(server, {"-H", auth, "-X", "DELETE", sandboxes});
  CHECK_THAT(delete_unqualified, Catch::EndsWith(" 400"));
  CHECK_THAT(delete_unqualified, Catch::Contains("?all=true"));

  std::string huge(20 << 20, 'x');
  auto too_big = hive::test::run({"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}", "-H",
                                  auth, "--data-binary", "@-", sandboxes},
                                 huge);
  CHECK_THAT(too_big.out, Catch::EndsWith(" 413"));

  // The server is still fine after all that.
  CHECK_THAT(curl(server, {"-H", auth, sandboxes}), Catch::EndsWith(" 200"));
}
