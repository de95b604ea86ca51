// Where sandbox records live. The local runtime keeps them in SQLite (WAL) under the state
// directory so a restarted server re-adopts its sandboxes; the kubernetes runtime will answer
// the same interface from its Pod cache. Reads never touch the disk: SqliteStore mirrors the
// table in memory (it is the only writer), so exec routing and the reaper's scans are cheap.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"
#include "hive/sandbox/types.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hive::server {

struct Record {
  sandbox::Sandbox sandbox;
  nlohmann::json runtime_data = nlohmann::json::object();  // the runtime's own facts (pid, paths)
};

class Store {
 public:
  virtual ~Store() = default;
  // Fails with Errc::conflict when the id or the name is taken.
  virtual Result<void> insert(const Record& record) = 0;
  virtual Result<void> update(const Record& record) = 0;
  // By id, or by name when no id matches.
  virtual Result<Record> get(const std::string& id_or_name) = 0;
  virtual Result<std::vector<Record>> list() = 0;
  virtual Result<void> remove(const std::string& id) = 0;
  // Whether writes can be expected to succeed now (for /readyz and before a spawn), and why
  // not: Errc::unavailable naming a full disk.
  virtual Result<void> check() { return {}; }
};

class SqliteStore : public Store {
 public:
  // Refuses a damaged file (see integrity.hpp), naming the problem and the recovery.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  Result<void> insert(const Record& record) override;
  Result<void> update(const Record& record) override;
  Result<Record> get(const std::string& id_or_name) override;
  Result<std::vector<Record>> list() override;
  Result<void> remove(const std::string& id) override;
  // A consistent copy of the store at `to` (SQLite's backup API), for an operator to restore.
  Result<void> backup(const std::string& to);
  // Unavailable while the state directory's filesystem has less than kLowSpace free, or the
  // last write failed for want of space. Remakes the reserve once there is room.
  Result<void> check() override;

  // Kept free on the state directory's disk, below which it counts as full.
  static constexpr std::uint64_t kLowSpace = 8 << 20;
  // Preallocated beside the database and given back when a write finds the disk full, so the
  // writes that free space (a deprovision's) can still commit.
  static constexpr off_t kReserveBytes = 4 << 20;

 private:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<void> exec(const char* sql);
  Result<void> load();
  std::string verify();  // what is wrong with the open database, "" when nothing
  Result<void> write(const char* sql, const Record& record);
  // Steps a write statement; on SQLITE_FULL gives the reserve back and steps it once more.
  int step_write(sqlite3_stmt* stmt);
  void make_reserve();
  void remember(const Record& record);

  std::mutex mutex_;
  sqlite3* db_;
  std::string path_;
  bool last_write_full_ = false;  // under mutex_
  // The mirror: records by id, ids by name, and ids in insertion order for list().
  std::map<std::string, std::pair<std::uint64_t, Record>> by_id_;
  std::map<std::string, std::string> by_name_;
  std::map<std::uint64_t, std::string> order_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace hive::server
