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

// A teardown that failed and that the reaper retries until the sandbox is down.
struct TeardownRetry {
  std::string reason;  // why it was being taken down: the reaper's, or "deleted"
  int attempts = 0;
  std::string retry_at;  // RFC 3339: not before then
};

// What the service and the stores agree on is typed here; runtime_data is the runtime's alone.
struct Record {
  sandbox::Sandbox sandbox;
  // The warm pool's key while the sandbox waits in a pool unclaimed ("" otherwise). A pooled
  // sandbox is no user's: list and get do not show it.
  std::string pool;
  // When the reaper ended the sandbox (RFC 3339): its tombstone goes tombstone_seconds later.
  std::string reaped_at;
  std::optional<TeardownRetry> teardown;
  // The version of the record as the store read it (a Pod's resourceVersion); "" where the
  // store keeps none (SQLite, the only writer of its file). Not stored.
  std::string version;
  // Set on the update that claims a pooled sandbox: the version the claimant read. A store
  // with other writers (the Pod store) refuses the update with Errc::conflict when the record
  // has moved on since, for then another replica claimed it. Not stored.
  std::optional<std::string> claim_version;
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
  // Brings a database written before the typed fields had columns up to date (see
  // record_fields.hpp), in one transaction.
  Result<void> migrate();
  Result<int> migrate_rows();  // inside migrate()'s transaction; how many records moved
  Result<void> load();
  std::string verify();  // what is wrong with the open database, "" when nothing
  Result<void> write(const char* sql, const Record& record);
  // Steps a write statement; on SQLITE_FULL gives the reserve back and steps it once more.
  int step_write(sqlite3_stmt* stmt);
  void make_reserve();
  void remember(Record record);

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
