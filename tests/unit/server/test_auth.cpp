#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <set>

#include "api/auth.hpp"
#include "api/handlers.hpp"
#include "process.hpp"
#include "service/ids.hpp"

using namespace hive::server;
using hive::Errc;

TEST_CASE("the admin token is created once, 0600, and then reused", "[unit]") {
  hive::test::TempDir dir;
  auto first = load_or_create_token(dir.path());
  REQUIRE(first);
  CHECK(first->size() == 64);
  struct stat st {};
  REQUIRE(stat((dir.path() + "/token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = load_or_create_token(dir.path());
  REQUIRE(second);
  CHECK(*second == *first);
}

TEST_CASE("a token file readable by others is refused", "[unit]") {
  hive::test::TempDir dir;
  REQUIRE(load_or_create_token(dir.path()));
  chmod((dir.path() + "/token").c_str(), 0644);
  auto token = load_or_create_token(dir.path());
  REQUIRE_FALSE(token);
  CHECK_THAT(token.error().message, Catch::Contains("chmod 600"));
}

TEST_CASE("bearer checks", "[unit]") {
  const std::string token = "0123456789abcdef0123456789abcdef";
  CHECK(check_bearer("Bearer " + token, token));
  auto missing = check_bearer("", token);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::unauthorized);
  CHECK_FALSE(check_bearer("Bearer " + token + "x", token));
  CHECK_FALSE(check_bearer("Basic " + token, token));
  CHECK_FALSE(check_bearer("Bearer ", token));
}

TEST_CASE("ids are DNS labels and do not repeat", "[unit]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_sandbox_id();
    CHECK(id.size() == 11);
    CHECK(id.rfind("sb-", 0) == 0);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK(to_rfc3339(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("every error code has its HTTP status", "[unit]") {
  CHECK(http_status(Errc::invalid_argument) == 400);
  CHECK(http_status(Errc::unauthorized) == 401);
  CHECK(http_status(Errc::not_found) == 404);
  CHECK(http_status(Errc::conflict) == 409);
  CHECK(http_status(Errc::agent_error) == 502);
  CHECK(http_status(Errc::timeout) == 504);
  CHECK(http_status(Errc::internal) == 500);
}

TEST_CASE("RFC 3339 times round-trip and junk is refused", "[unit]") {
  auto t = std::chrono::system_clock::from_time_t(1'800'000'000) + std::chrono::milliseconds(123);
  auto text = to_rfc3339(t);
  CHECK(text == "2027-01-15T08:00:00.123Z");
  auto back = from_rfc3339(text);
  REQUIRE(back);
  CHECK(*back == t);
  CHECK_FALSE(from_rfc3339(""));
  CHECK_FALSE(from_rfc3339("2027-01-15 08:00:00"));
}
