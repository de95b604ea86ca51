#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "hive/sandbox/codec.hpp"
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

// Overwrites `length` bytes at `offset` with noise, as a bad disk or a stray write would.
void overwrite_with_noise(const std::string& path, std::size_t offset, std::size_t length) {
  std::mt19937 random(42);
  std::string noise(length, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(noise.data(), static_cast<std::streamsize>(noise.size()));
}

// A store of `n` records, closed (checkpointed: no WAL) when this returns.
void make_store(const std::string& path, int n) {
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  for (int i = 0; i < n; ++i) REQUIRE((*store)->insert(make_record("sb-" + std::to_string(i))));
}

// The files of a store still open, with its WAL, as a server killed with -9 leaves them.
void copy_open_store(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  fs::copy_file(from, to);
  fs::copy_file(from + "-wal", to + "-wal");
}

void check_refused(const std::string& path, const std::string& problem) {
  auto store = SqliteStore::open(path);
  REQUIRE_FALSE(store);
  const auto& message = store.error().message;
  CHECK_THAT(message, Catch::StartsWith("the sandbox store " + path + " is damaged: "));
  CHECK_THAT(message, Catch::Contains(problem));
  CHECK_THAT(message, Catch::Contains("move " + path + " (with its -wal and -shm files) aside"));
  CHECK_THAT(message, Catch::Contains(path + ".bak"));
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

TEST_CASE("a store truncated to 0 bytes is damaged, not a fresh empty one", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  make_store(path, 3);
  std::filesystem::resize_file(path, 0);
  check_refused(path, "it is empty (0 bytes)");
  CHECK(std::filesystem::file_size(path) == 0);  // refusing changed nothing
  const std::string cut = dir.path() + "/cut.db";
  make_store(cut, 3);
  REQUIRE(std::filesystem::file_size(cut) > 4096 + 100);
  std::filesystem::resize_file(cut, 4096 + 100);
  check_refused(cut, "is not a whole number of 4096-byte pages");
}

TEST_CASE("noise over the store's header or its pages is damage", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  make_store(path, 40);
  SECTION("the header") {
    overwrite_with_noise(path, 0, 4096);
    check_refused(path, "it does not start with the SQLite header");
  }
  SECTION("the sandboxes table's first page") {
    overwrite_with_noise(path, 4096, 4096);
    check_refused(path, "quick_check finds");
  }
}

TEST_CASE("a store whose WAL is damaged is refused; a sound WAL is read", "[unit]") {
  hive::test::TempDir dir;
  const std::string live = dir.path() + "/live.db", path = dir.path() + "/hive.db";
  auto store = SqliteStore::open(live);
  REQUIRE(store);
  for (int i = 0; i < 6; ++i) REQUIRE((*store)->insert(make_record("sb-" + std::to_string(i))));
  copy_open_store(live, path);
  SECTION("sound: every record is there") {
    auto reopened = SqliteStore::open(path);
    REQUIRE(reopened);
    CHECK((*reopened)->list()->size() == 6);
  }
  SECTION("noise over the WAL's header") {
    overwrite_with_noise(path + "-wal", 0, 4096);
    check_refused(path, "its write-ahead log " + path + "-wal does not start with a WAL header");
  }
  SECTION("noise in a frame with committed frames after it") {
    overwrite_with_noise(path + "-wal", 32 + 24 + 1000, 2000);  // the first frame's page
    check_refused(path, "is damaged at frame 1, before frames that were written after it");
  }
  SECTION("the database gone, its WAL left") {
    std::filesystem::remove(path);
    check_refused(path, "it is missing, but its write-ahead log " + path + "-wal is there");
  }
}

TEST_CASE("a backup of the store opens with every record", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  REQUIRE((*store)->insert(make_record("sb-1", "first")));
  REQUIRE((*store)->backup(path + ".bak"));
  CHECK_FALSE(std::filesystem::exists(path + ".bak.part"));
  auto copy = SqliteStore::open(path + ".bak");
  REQUIRE(copy);
  CHECK((*copy)->get("first")->sandbox.id == "sb-1");
}

namespace {

// A database as servers before the typed record fields wrote it: pool, reaped_at and the
// teardown retry as keys of runtime_data, and no columns for them.
void make_old_store(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto row = [&](const std::string& id, State state, const nlohmann::json& runtime_data) {
    hive::sandbox::Sandbox sb;
    sb.id = id;
    sb.state = state;
    const std::string sql = "INSERT INTO sandboxes VALUES ('" + id + "', NULL, '" +
                            hive::sandbox::dump(hive::sandbox::to_json(sb)) + "', '" +
                            hive::sandbox::dump(runtime_data) + "')";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  };
  REQUIRE(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL; CREATE TABLE sandboxes (id TEXT PRIMARY KEY,"
                       " name TEXT UNIQUE, record TEXT NOT NULL, runtime_data TEXT NOT NULL)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  row("sb-pooled", State::Running, {{"pid", 7}, {"pool", "host|none"}});
  row("sb-claimed", State::Running, {{"pid", 8}, {"claim", "host|none"}});
  row("sb-reaped", State::Terminated, {{"reaped_at", "2026-01-02T03:04:05.678Z"}});
  row("sb-retry", State::Failed,
      {{"pid", 9},
       {"reaped_at", "2026-01-02T03:04:05.678Z"},
       {"teardown_reason", "idle"},
       {"teardown_attempts", 3},
       {"teardown_retry_at", "2026-01-02T03:05:00.000Z"}});
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a store written before the typed fields reads its runtime keys into them", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  make_old_store(path);
  for (int open = 0; open < 2; ++open) {  // the upgrade, then the upgraded file
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    auto pooled = (*store)->get("sb-pooled");
    REQUIRE(pooled);
    CHECK(pooled->pool == "host|none");
    CHECK(pooled->runtime_data == nlohmann::json{{"pid", 7}});
    auto claimed = (*store)->get("sb-claimed");
    REQUIRE(claimed);
    CHECK(claimed->pool.empty());
    CHECK(claimed->runtime_data == nlohmann::json{{"pid", 8}});
    auto reaped = (*store)->get("sb-reaped");
    REQUIRE(reaped);
    CHECK(reaped->reaped_at == "2026-01-02T03:04:05.678Z");
    CHECK_FALSE(reaped->teardown);
    auto retry = (*store)->get("sb-retry");
    REQUIRE(retry);
    REQUIRE(retry->teardown);
    CHECK(retry->teardown->reason == "idle");
    CHECK(retry->teardown->attempts == 3);
    CHECK(retry->teardown->retry_at == "2026-01-02T03:05:00.000Z");
    CHECK(retry->runtime_data == nlohmann::json{{"pid", 9}});
  }
}

TEST_CASE("the store keeps a record's typed fields, not its claim", "[unit]") {
  hive::test::TempDir dir;
  const std::string path = dir.path() + "/hive.db";
  {
    auto store = SqliteStore::open(path);
    REQUIRE(store);
    Record record = make_record("sb-1");
    record.pool = "key";
    record.reaped_at = "2026-01-02T03:04:05.678Z";
    record.teardown = TeardownRetry{"ttl", 2, "2026-01-02T03:05:00.000Z"};
    REQUIRE((*store)->insert(record));
    record.claim_version = "";
    REQUIRE((*store)->update(record));
    CHECK_FALSE((*store)->get("sb-1")->claim_version);
  }
  auto store = SqliteStore::open(path);
  REQUIRE(store);
  auto record = (*store)->get("sb-1");
  REQUIRE(record);
  CHECK(record->pool == "key");
  CHECK(record->reaped_at == "2026-01-02T03:04:05.678Z");
  REQUIRE(record->teardown);
  CHECK(record->teardown->reason == "ttl");
  CHECK(record->teardown->attempts == 2);
  CHECK(record->runtime_data == nlohmann::json{{"pid", 42}});
}
