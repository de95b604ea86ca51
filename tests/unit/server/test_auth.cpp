#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <set>

#include "api/auth.hpp"
#include "api/handlers.hpp"
#include "common/ids.hpp"
#include "hive/sandbox/codec.hpp"
#include "process.hpp"

using namespace hive;
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

TEST_CASE("the admin token comes from --token-file, then HIVE_ADMIN_TOKEN, then the state dir",
          "[unit]") {
  hive::test::TempDir dir;
  const std::string file = dir.path() + "/secret";
  std::ofstream(file) << "from-the-file-0123456789\n";
  setenv("HIVE_ADMIN_TOKEN", "from-the-environment-0123", 1);
  CHECK(*admin_token(file, dir.path()) == "from-the-file-0123456789");
  CHECK(*admin_token("", dir.path()) == "from-the-environment-0123");
  CHECK(std::getenv("HIVE_ADMIN_TOKEN") == nullptr);  // no child inherits it
  auto made = admin_token("", dir.path());
  REQUIRE(made);
  CHECK(made->size() == 64);
  setenv("HIVE_ADMIN_TOKEN", "short", 1);
  CHECK_FALSE(admin_token("", dir.path()));
  unsetenv("HIVE_ADMIN_TOKEN");
}

TEST_CASE("bearer checks", "[unit]") {
  const std::string token = "0123456789abcdef0123456789abcdef";
  Authenticator auth(token);
  auto admin = auth.check("Bearer " + token);
  REQUIRE(admin);
  CHECK(admin->admin);
  auto missing = auth.check("");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::unauthorized);
  CHECK_FALSE(auth.check("Bearer " + token + "x"));
  CHECK_FALSE(auth.check("Basic " + token));
  CHECK_FALSE(auth.check("Bearer "));
}

TEST_CASE("Basic credentials carry the token as the password, where allowed", "[unit]") {
  const std::string token = "0123456789abcdef0123456789abcdef";
  Authenticator auth(token);
  const std::string basic = "Basic " + hive::sandbox::base64_encode("hive:" + token);
  CHECK_FALSE(auth.check(basic));  // not on Hive's own API
  auto grant = auth.check(basic, Schemes::BearerOrBasic);
  REQUIRE(grant);
  CHECK(grant->admin);
  CHECK_FALSE(
      auth.check("Basic " + hive::sandbox::base64_encode("hive:wrong"), Schemes::BearerOrBasic));
  CHECK_FALSE(auth.check("Basic !!!", Schemes::BearerOrBasic));
  CHECK_FALSE(auth.check("Basic " + hive::sandbox::base64_encode(token), Schemes::BearerOrBasic));
}

TEST_CASE("a sandbox token grants that sandbox until it expires", "[unit]") {
  Authenticator auth("0123456789abcdef0123456789abcdef");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto token = auth.sandbox_token("sb-abc12345", now + 60);
  CHECK(token.rfind("hsb.sb-abc12345.", 0) == 0);
  auto grant = auth.check("Bearer " + token);
  REQUIRE(grant);
  CHECK_FALSE(grant->admin);
  CHECK(grant->sandbox_id == "sb-abc12345");
  CHECK(auth.check("Bearer " + auth.sandbox_token("sb-abc12345", 0)));  // no expiry

  // Another id or expiry with the same mac, another server's key, an expired one: refused.
  auto mac = token.substr(token.rfind('.'));
  CHECK_FALSE(auth.check("Bearer hsb.sb-other123." + std::to_string(now + 60) + mac));
  CHECK_FALSE(auth.check("Bearer hsb.sb-abc12345." + std::to_string(now + 6000) + mac));
  CHECK_FALSE(Authenticator("another-admin-token-0123456789").check("Bearer " + token));
  auto expired = auth.check("Bearer " + auth.sandbox_token("sb-abc12345", now - 1));
  REQUIRE_FALSE(expired);
  CHECK_THAT(expired.error().message, Catch::Contains("expired"));
  for (const char* bad : {"hsb.", "hsb.x", "hsb.x.y", "hsb...", "hsb.sb-a.notanumber.00"}) {
    CHECK_FALSE(auth.check(std::string("Bearer ") + bad));
  }
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
