// The caps that keep a connection flood from taking the server's descriptors, and the log
// line per episode rather than per refused connection.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>

#include "common/http/admission.hpp"

TEST_CASE("connection caps derive from the descriptor limit, with a reserve", "[unit]") {
  auto small = hive::http::default_caps(1024);
  CHECK(small.total == (1024 - 64) / 2);
  CHECK(small.per_address == small.total / 4);
  auto trial = hive::http::default_caps(20000);  // the hostile-tenant trial's limit
  CHECK(trial.total == (20000 - 1250) / 2);
  CHECK(trial.total * 2 + 1250 <= 20000);
  CHECK(hive::http::default_caps(1 << 20).total == ((1 << 20) - 4096) / 2);
}

TEST_CASE("a connection limit caps each address and the total", "[unit]") {
  auto limit = std::make_shared<hive::http::ConnectionLimit>(hive::http::ConnectionCaps{3, 2});
  auto a = boost::asio::ip::make_address("127.0.0.2");
  auto b = boost::asio::ip::make_address("::ffff:127.0.0.3");
  auto first = limit->admit(a), second = limit->admit(a);
  CHECK(first);
  CHECK(second);
  CHECK_FALSE(limit->admit(a));  // per address
  auto third = limit->admit(b);
  CHECK(third);
  CHECK_FALSE(limit->admit(boost::asio::ip::make_address("127.0.0.4")));  // in total
  CHECK(limit->open() == 3);
  first.reset();
  CHECK(limit->open() == 2);
  CHECK(limit->admit(a));
  third.reset();
  auto mapped = limit->admit(boost::asio::ip::make_address("127.0.0.3"));  // the same client
  CHECK(mapped);
}

TEST_CASE("an episode is logged once however often it recurs", "[unit]") {
  hive::http::Episode episode(std::chrono::milliseconds(50));
  CHECK(episode.occur());
  int again = 0;
  for (int i = 0; i < 1000; ++i) again += episode.occur() ? 1 : 0;
  CHECK(again == 0);
  usleep(80'000);
  CHECK(episode.occur());  // a new episode after a quiet spell
}
