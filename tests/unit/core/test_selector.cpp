#include <catch2/catch.hpp>

#include "hive/sandbox/selector.hpp"

using namespace hive::sandbox;

namespace {

bool selects(const char* selector, std::map<std::string, std::string> labels) {
  auto parsed = parse_selector(selector);
  REQUIRE(parsed);
  return parsed->matches(labels);
}

}  // namespace

TEST_CASE("equality, inequality, existence", "[unit]") {
  CHECK(selects("run=42", {{"run", "42"}}));
  CHECK(selects("run==42", {{"run", "42"}}));
  CHECK_FALSE(selects("run=42", {{"run", "43"}}));
  CHECK(selects("tier!=web", {{"tier", "db"}}));
  CHECK(selects("tier!=web", {}));  // as kubectl: a missing key is not equal
  CHECK(selects("gpu", {{"gpu", ""}}));
  CHECK_FALSE(selects("gpu", {}));
  CHECK(selects("!gpu", {}));
  CHECK_FALSE(selects("!gpu", {{"gpu", "a100"}}));
  CHECK(selects("", {{"any", "thing"}}));
}

TEST_CASE("set-based terms and conjunctions", "[unit]") {
  const char* full = "a=b, c!=d, e in (x, y), f notin (z), !g";
  CHECK(selects(full, {{"a", "b"}, {"c", "x"}, {"e", "y"}, {"f", "q"}}));
  CHECK_FALSE(selects(full, {{"a", "b"}, {"c", "d"}, {"e", "y"}}));
  CHECK_FALSE(selects(full, {{"a", "b"}, {"e", "w"}}));
  CHECK_FALSE(selects(full, {{"a", "b"}, {"e", "x"}, {"f", "z"}}));
  CHECK_FALSE(selects(full, {{"a", "b"}, {"e", "x"}, {"g", "1"}}));
}

TEST_CASE("malformed selectors say what is wrong", "[unit]") {
  struct Case {
    const char* text;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {"a=b,,c", "empty term"},
      {"e in (x,y", "unbalanced '('"},
      {"e in x,y)", "unbalanced ')'"},
      {"e within (x)", "expected 'in (...)'"},
      {"e in x", "go in parentheses"},
      {"=b", "missing label key"},
      {"a b=c", "label key 'a b' is invalid"},
      {"a=-b", "invalid value '-b'"},
  }));
  auto parsed = parse_selector(c.text);
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().message, Catch::Contains(c.message));
}
