#include <catch2/catch.hpp>

#include "hive/sandbox/codec.hpp"

using namespace hive::sandbox;
using hive::Errc;

namespace {

Json json(const char* text) { return *parse_json(text); }

}  // namespace

TEST_CASE("an empty spawn request gets the defaults", "[unit]") {
  auto spec = spec_from_json(Json::object());
  REQUIRE(spec);
  CHECK(spec->image == "host");
  CHECK(spec->workdir == "/workspace");
  CHECK(spec->network == Network::None);
  CHECK(spec->ttl_seconds == 0);
}

TEST_CASE("a full spawn request round-trips", "[unit]") {
  auto spec = spec_from_json(json(R"({"name":"rollout-17","labels":{"run":"42"},"image":"host",
    "env":{"K":"V=W"},"network":"host","ttl_seconds":60,"idle_timeout_seconds":30,
    "resources":{"cpu":"500m","memory":"512Mi","pids":64,"disk":"1Gi"},"ports":[3000]})"));
  REQUIRE(spec);
  CHECK(spec->name == "rollout-17");
  CHECK(spec->env.at("K") == "V=W");
  CHECK(spec->resources.pids == 64);
  auto again = spec_from_json(to_json(*spec));
  REQUIRE(again);
  CHECK(to_json(*again) == to_json(*spec));
}

TEST_CASE("spawn request errors name the field", "[unit]") {
  struct Case {
    const char* body;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {R"({"imgae":"host"})", "unknown field 'imgae'"},
      {R"({"ttl_seconds":"60"})", "field 'ttl_seconds': expected an integer, got string"},
      {R"({"ttl_seconds":-1})", "field 'ttl_seconds': -1 is outside"},
      {R"({"ttl_seconds":1.5})", "expected an integer"},
      {R"({"name":"Bad_Name"})", "name 'Bad_Name' is not a DNS-1123 label"},
      {R"({"name":"sb-4k7q2m9x"})", "name 'sb-4k7q2m9x' has the form of a sandbox id"},
      {R"({"resources":{"memory":"1"}})", "resources.memory '1' is below the least"},
      {R"({"resources":{"memory":"15Mi"}})", "below the least a sandbox can run in, 16Mi"},
      {R"({"labels":{"run":7}})", "field 'labels.run': expected a string"},
      {R"({"labels":{"-x":"y"}})", "label key '-x' is invalid"},
      {R"({"network":"wifi"})", "'wifi' is not one of none, host, egress"},
      {R"({"workdir":"rel"})", "must be an absolute path"},
      {R"({"resources":{"memory":"lots"}})", "resources.memory: 'lots' is not a byte quantity"},
      {R"({"resources":{"cpu":"-1"}})", "resources.cpu"},
      {R"({"resources":{"gpu":1}})", "resources: unknown field 'gpu'"},
      {R"({"env":{"A=B":"x"}})", "env 'A=B'"},
      {R"({"ports":[70000]})", "port 70000 is outside 1..65535"},
      {R"([1,2])", "expected a JSON object, got array"},
  }));
  auto spec = spec_from_json(json(c.body));
  REQUIRE_FALSE(spec);
  CHECK(spec.error().code == Errc::invalid_argument);
  CHECK_THAT(spec.error().message, Catch::Contains(c.message));
}

TEST_CASE("parse_json refuses malformed and deeply nested input", "[unit]") {
  auto bad = parse_json("{bad");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::StartsWith("malformed JSON"));
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto nested = parse_json(deep);
  REQUIRE_FALSE(nested);
  CHECK_THAT(nested.error().message, Catch::Contains("deeper than 32"));
  CHECK(parse_json("[[[1]]]"));
}

TEST_CASE("exec requests take argv or command, not both or neither", "[unit]") {
  CHECK(exec_request_from_json(json(R"({"argv":["ls","-la"]})")));
  CHECK(exec_request_from_json(json(R"({"command":"ls | wc -l"})")));
  auto both = exec_request_from_json(json(R"({"argv":["ls"],"command":"ls"})"));
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message, Catch::Contains("exactly one of"));
  CHECK_FALSE(exec_request_from_json(json(R"({})")));
  CHECK_FALSE(exec_request_from_json(json(R"({"argv":[]})")));
  CHECK_FALSE(exec_request_from_json(json(R"({"argv":["ls"],"cwd":"tmp"})")));
  CHECK_FALSE(exec_request_from_json(json(R"({"argv":["ls"],"timeout_seconds":-2})")));
  CHECK_FALSE(exec_request_from_json(json(R"({"argv":["ls"],"stdin_b64":"!!"})")));
}

TEST_CASE("exec stdin and output carry bytes that are not UTF-8", "[unit]") {
  ExecRequest request;
  request.argv = {"cat"};
  request.stdin_data = std::string("\xff\x00\x01", 3);
  Json wire = to_json(request);
  CHECK(wire.contains("stdin_b64"));
  auto back = exec_request_from_json(wire);
  REQUIRE(back);
  CHECK(back->stdin_data == request.stdin_data);

  ExecResult result;
  result.stdout_data = "text\n";
  result.stderr_data = std::string("\xc3\x28", 2);
  Json out = to_json(result);
  CHECK(out["stdout"] == "text\n");
  CHECK(out.contains("stderr_b64"));
  auto parsed = exec_result_from_json(out);
  REQUIRE(parsed);
  CHECK(parsed->stderr_data == result.stderr_data);
}

TEST_CASE("error bodies decode to hive errors", "[unit]") {
  auto error = error_from_body(
      R"({"error":{"code":"not_found","message":"sandbox 'x' not found"}})", Errc::internal);
  CHECK(error.code == Errc::not_found);
  CHECK(error.message == "sandbox 'x' not found");
  auto plain = error_from_body("<html>oops</html>", Errc::agent_error);
  CHECK(plain.code == Errc::agent_error);
  CHECK(plain.message == "<html>oops</html>");
}

TEST_CASE("JSON numbers out of double's range are refused, not thrown", "[unit]") {
  for (const char* text : {"[1e99999]", "{\"a\": -1e400}", "556e5555555055555555554"}) {
    auto parsed = hive::sandbox::parse_json(text);
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error().message, Catch::Contains("number overflow"));
  }
}
