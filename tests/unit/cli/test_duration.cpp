#include <catch2/catch.hpp>

#include "duration.hpp"

using hive::cli::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations read as kubectl's flags take them", "[unit]") {
  CHECK(*parse_duration("30s", "--x") == milliseconds(30'000));
  CHECK(*parse_duration("1m30s", "--x") == milliseconds(90'000));
  CHECK(*parse_duration("1.5s", "--x") == milliseconds(1'500));
  CHECK(*parse_duration("250ms", "--x") == milliseconds(250));
  CHECK(*parse_duration("2h", "--x") == milliseconds(7'200'000));
  CHECK(*parse_duration("5", "--x") == milliseconds(5'000));  // a bare number is seconds
  CHECK(*parse_duration("0", "--x") == milliseconds(0));
  for (const char* bad : {"", "soon", "5x", "-1s", "1m30", "s"}) {
    auto parsed = parse_duration(bad, "--request-timeout");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message ==
          "--request-timeout '" + std::string(bad) + "': expected a duration like 30s, 2m or 1h");
  }
}
