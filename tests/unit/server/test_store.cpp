#include <catch2/catch.hpp>

#include "process.hpp"
#include "store/store.hpp"

using namespace hive::server;
using hive::Errc;
using hive::sandbox::State;

namespace {

Record make_record(const std::string& id, const std::string& name = "") {
  Record record;
  record.sandbox.id = id;
  record.sandbox.spec.name = name;
  record.sandbox.state = State::Running;
  record.runtime_data = {{"pid", 42}};
  return record;
}

}  // namespace

TEST_CASE("the SQLite store keeps records across reopening", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    REQUIRE((*store)->insert(make_record("sb-1", "first")));
    REQUIRE((*store)->insert(make_record("sb-2")));
  }
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  auto all = (*store)->list();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].sandbox.id == "sb-1");
  CHECK((*all)[0].runtime_data["pid"] == 42);
  auto by_name = (*store)->get("first");
  REQUIRE(by_name);
  CHECK(by_name->sandbox.id == "sb-1");
}

TEST_CASE("the store refuses a taken name and finds nothing after removal", "[unit]") {
  hive::test::TempDir dir;
  auto store = SqliteStore::open(dir.path() + "/hive.db");
  REQUIRE(store);
  auto& s = **store;
  REQUIRE(s.insert(make_record("sb-1", "web")));
  auto clash = s.insert(make_record("sb-2", "web"));
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == Errc::conflict);
  CHECK_THAT(clash.error().message, Catch::Contains("'web' already exists"));

  auto record = make_record("sb-1", "web");
  record.sandbox.state = State::Terminating;
  REQUIRE(s.update(record));
  CHECK(s.get("sb-1")->sandbox.state == State::Terminating);
  REQUIRE(s.remove("sb-1"));
  auto gone = s.get("sb-1");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::not_found);
  CHECK(s.insert(make_record("sb-3", "web")));  // the name is free again
}

TEST_CASE("an unopenable store path is a clear error", "[unit]") {
  auto store = SqliteStore::open("/nonexistent-dir/x/hive.db");
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message, Catch::Contains("/nonexistent-dir/x/hive.db"));
}

TEST_CASE("updating a record that is gone is not_found, not a resurrection", "[unit]") {
  hive::test::TempDir dir;
  auto store = SqliteStore::open(dir.path() + "/hive.db");
  REQUIRE(store);
  auto missing = (*store)->update(make_record("sb-9"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK_FALSE((*store)->get("sb-9"));
}
