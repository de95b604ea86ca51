// -o jsonpath and --sort-by, as kubectl users write them.
#include <catch2/catch.hpp>

#include <sstream>

#include "printers/jsonpath.hpp"
#include "printers/printer.hpp"

using namespace hive::cli;
using hive::sandbox::Json;

namespace {

const Json kList = Json::parse(R"({"items": [
  {"id": "sb-1", "state": "Running", "labels": {"run": "42", "a.b/c": "x"}, "ttl_seconds": 60},
  {"id": "sb-2", "state": "Failed", "labels": {}, "ttl_seconds": 5}]})");

std::string render(const std::string& text) {
  auto out = render_jsonpath(text, kList);
  REQUIRE(out);
  return *out;
}

hive::sandbox::Sandbox sandbox(const std::string& id, std::int64_t ttl, const std::string& run) {
  hive::sandbox::Sandbox sb;
  sb.id = id;
  sb.spec.ttl_seconds = ttl;
  if (!run.empty()) sb.spec.labels["run"] = run;
  return sb;
}

}  // namespace

TEST_CASE("jsonpath: fields, indices, wildcards, literals and ranges", "[unit]") {
  CHECK(render("{.items[*].id}") == "sb-1 sb-2");
  CHECK(render("{.items[0].labels.run}") == "42");
  CHECK(render("{.items[-1].id}") == "sb-2");
  CHECK(render("{.items[0].labels['a.b/c']}") == "x");
  CHECK(render("{.items[0].ttl_seconds}") == "60");
  CHECK(render("{.items[0].labels}") == R"({"a.b/c":"x","run":"42"})");
  CHECK(render("id={.items[1].id}{\"\\n\"}") == "id=sb-2\n");
  CHECK(render("{range .items[*]}{.id}{\"\\t\"}{.state}{\"\\n\"}{end}") ==
        "sb-1\tRunning\nsb-2\tFailed\n");
  CHECK(render("{.items[5].id}{.nothing}") == "");
  CHECK(render("{$.items[0].id}") == "sb-1");
}

TEST_CASE("jsonpath: templates that cannot be read are refused up front", "[unit]") {
  for (const char* bad :
       {"{.items", "{items}", "{range .items[*]}{.id}", "{end}", "{.items[x]}", "{.items[0}"}) {
    INFO(bad);
    auto checked = check_jsonpath(bad);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == hive::Errc::invalid_argument);
  }
  CHECK(check_jsonpath("plain text"));
}

TEST_CASE("-o jsonpath and --sort-by go through the one printer layer", "[unit]") {
  const std::vector<hive::sandbox::Sandbox> sandboxes{
      sandbox("sb-b", 30, "2"), sandbox("sb-a", 10, ""), sandbox("sb-c", 20, "1")};
  PrintOptions options{OutputFormat::JsonPath};
  options.jsonpath = "{.items[*].id}";
  std::ostringstream as_is;
  print_sandboxes(as_is, options, sandboxes);
  CHECK(as_is.str() == "sb-b sb-a sb-c");

  options.sort_by = ".ttl_seconds";
  std::ostringstream by_ttl;
  print_sandboxes(by_ttl, options, sandboxes);
  CHECK(by_ttl.str() == "sb-a sb-c sb-b");

  PrintOptions names{OutputFormat::Name};
  names.sort_by = "{.labels.run}";  // braces or not; those without the label go last
  std::ostringstream by_label;
  print_sandboxes(by_label, names, sandboxes);
  CHECK(by_label.str() == "sb-c\nsb-b\nsb-a\n");

  PrintOptions one{OutputFormat::JsonPath};
  one.jsonpath = "{.id}";
  std::ostringstream single;
  print_sandbox(single, one, sandboxes[0]);
  CHECK(single.str() == "sb-b");
}

TEST_CASE("hivectl refuses a bad -o or --sort-by before calling anything", "[unit]") {
  std::vector<std::string> args{"hivectl",          "list",     "-o",
                                "jsonpath={.items", "--server", "http://127.0.0.1:1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in;
  std::ostringstream out, err;
  CHECK(run_hivectl(static_cast<int>(argv.size()), argv.data(), {in, out, err}) == kExitUsage);
  CHECK_THAT(err.str(), Catch::Contains("not closed"));
  args[3] = "xml";
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream err2;
  CHECK(run_hivectl(static_cast<int>(argv.size()), argv.data(), {in, out, err2}) == kExitUsage);
  CHECK_THAT(err2.str(), Catch::Contains("jsonpath=TEMPLATE"));
}
