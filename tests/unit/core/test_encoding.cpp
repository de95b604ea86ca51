#include <catch2/catch.hpp>

#include "hive/sandbox/codec.hpp"

using namespace hive::sandbox;

TEST_CASE("base64 matches RFC 4648 test vectors", "[unit]") {
  std::vector<std::pair<std::string, std::string>> vectors{{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
  CHECK_FALSE(base64_decode("Zg="));
  CHECK_FALSE(base64_decode("Z=g="));
  CHECK_FALSE(base64_decode("Zm9v*mFy"));
}

TEST_CASE("UTF-8 validation rejects what is not UTF-8", "[unit]") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\x9d"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST_CASE("quantities parse as Kubernetes writes them", "[unit]") {
  CHECK(*parse_byte_quantity("512Mi") == 512LL << 20);
  CHECK(*parse_byte_quantity("1G") == 1'000'000'000LL);
  CHECK(*parse_byte_quantity("4096") == 4096);
  CHECK_FALSE(parse_byte_quantity("1.5Gi"));
  CHECK_FALSE(parse_byte_quantity("Mi"));
  CHECK_FALSE(parse_byte_quantity("99999999999999999999Ti"));
  CHECK(*parse_cpu_millis("2") == 2000);
  CHECK(*parse_cpu_millis("500m") == 500);
  CHECK_FALSE(parse_cpu_millis("0"));
  // Decimal cores, docker's --cpus habit and a Kubernetes quantity too.
  CHECK(*parse_cpu_millis("1.5") == 1500);
  CHECK(*parse_cpu_millis("0.5") == 500);
  CHECK(*parse_cpu_millis("0.125") == 125);
  CHECK_FALSE(parse_cpu_millis("0.0"));
  CHECK_FALSE(parse_cpu_millis("0.1234"));
  CHECK_FALSE(parse_cpu_millis(".5"));
  CHECK_FALSE(parse_cpu_millis("1."));
  CHECK_FALSE(parse_cpu_millis("1.5m"));
}

TEST_CASE("labels follow Kubernetes' rules", "[unit]") {
  CHECK(validate_label_key("run"));
  CHECK(validate_label_key("hive.dev/tier"));
  CHECK_FALSE(validate_label_key(""));
  CHECK_FALSE(validate_label_key("a b"));
  CHECK(validate_label_value("k", ""));
  CHECK(validate_label_value("k", "v1.2_3"));
  CHECK_FALSE(validate_label_value("k", "-v"));
  CHECK_FALSE(validate_label_value("k", std::string(64, 'a')));
  CHECK(validate_dns_label("name", "rollout-17"));
  CHECK_FALSE(validate_dns_label("name", "Rollout"));
  CHECK_FALSE(validate_dns_label("name", "x-"));
}
