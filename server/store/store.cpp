#include "store/store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>

#include "hive/sandbox/codec.hpp"
#include "store/integrity.hpp"
#include "store/record_fields.hpp"

namespace hive::server {
namespace {

Error db_error(sqlite3* db, const std::string& what) {
  std::string message = "sqlite " + what + ": " + sqlite3_errmsg(db);
  // A full disk is the machine's state, not a bug: 503, as /readyz then says.
  if (sqlite3_errcode(db) == SQLITE_FULL) {
    return make_error(Errc::unavailable, message + " (the state directory's disk is full)");
  }
  return make_error(Errc::internal, message);
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

Result<Record> read_row(sqlite3_stmt* stmt) {
  auto text = [&](int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(p ? p : "");
  };
  auto record_json = sandbox::parse_json(text(0), 64);
  auto runtime_json = sandbox::parse_json(text(1), 64);
  if (!record_json || !runtime_json) return make_error(Errc::internal, "store: corrupt row");
  auto parsed = sandbox::sandbox_from_json(*record_json);
  if (!parsed) return parsed.error().context("store: corrupt sandbox record");
  Record record;
  record.sandbox = std::move(*parsed);
  record.runtime_data = std::move(*runtime_json);
  record.pool = text(2);
  record.reaped_at = text(3);
  record.teardown = teardown_from_column(text(4));
  return record;
}

constexpr const char* kColumns = "record, runtime_data, pool, reaped_at, teardown";

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  // A fresh state directory has no hive.db at all; anything else must prove it is sound.
  const bool existed = access(path.c_str(), F_OK) == 0;
  std::string problem = db_file_damage(path);
  if (problem.empty() && !existed && access((path + "-wal").c_str(), F_OK) == 0) {
    problem = "it is missing, but its write-ahead log " + path + "-wal is there";
  }
  if (problem.empty()) problem = wal_file_damage(path + "-wal");
  if (!problem.empty()) return make_error(Errc::internal, damaged_store_message(path, problem));
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = db_error(db, "open '" + path + "'");
    sqlite3_close(db);
    return error;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  if (existed) {
    // Until it checks out, closing must not checkpoint the WAL into the file: the pair is the
    // evidence (and what a salvage would start from).
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    if (problem = store->verify(); !problem.empty()) {
      return make_error(Errc::internal, damaged_store_message(path, problem));
    }
  }
  // WAL with synchronous=NORMAL: a commit is durable against a crash of the server process
  // (what restart safety needs) without an fsync per spawn.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "CREATE TABLE IF NOT EXISTS sandboxes ("
                          " id TEXT PRIMARY KEY, name TEXT UNIQUE,"
                          " record TEXT NOT NULL, runtime_data TEXT NOT NULL,"
                          " pool TEXT NOT NULL DEFAULT '', reaped_at TEXT NOT NULL DEFAULT '',"
                          " teardown TEXT NOT NULL DEFAULT '')"}) {
    if (auto r = store->exec(sql); !r) return r.error();
  }
  if (auto r = store->migrate(); !r) return r.error().context("upgrading " + path);
  if (auto r = store->load(); !r) {
    return make_error(Errc::internal, damaged_store_message(path, r.error().message));
  }
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  store->make_reserve();
  return store;
}

void SqliteStore::make_reserve() {
  const std::string reserve = path_ + ".reserve";
  int fd = ::open(reserve.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int rc = posix_fallocate(fd, 0, kReserveBytes);
  close(fd);
  if (rc != 0) unlink(reserve.c_str());  // a part of a reserve is space taken for nothing
}

int SqliteStore::step_write(sqlite3_stmt* stmt) {
  int rc = sqlite3_step(stmt);
  // The statement was rolled back: with the reserve's space it can go through. This is what
  // lets a deprovision commit, and so the culprit's files be freed, on a disk a tenant filled.
  if (rc == SQLITE_FULL && unlink((path_ + ".reserve").c_str()) == 0) {
    spdlog::warn("the state directory's disk is full: gave the store's {} MiB reserve back",
                 kReserveBytes >> 20);
    sqlite3_reset(stmt);
    rc = sqlite3_step(stmt);
  }
  last_write_full_ = rc == SQLITE_FULL;
  return rc;
}

Result<void> SqliteStore::check() {
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) != 0) return {};  // the runtime's check reports a bad dir
  const std::uint64_t free = std::uint64_t{vfs.f_bavail} * vfs.f_frsize;
  std::lock_guard lock(mutex_);
  if (free >= kLowSpace) {
    last_write_full_ = false;
    if (access((path_ + ".reserve").c_str(), F_OK) != 0 && free >= kLowSpace + kReserveBytes) {
      make_reserve();
    }
    return {};
  }
  return make_error(Errc::unavailable,
                    "the disk of the state directory " + dir + " is full (" +
                        std::to_string(free >> 10) + " KiB free" +
                        (last_write_full_ ? "; the last store write found no space" : "") +
                        "): deprovision sandboxes to free it (a sandbox spawned without --disk "
                        "keeps its /workspace there)");
}

// SQLite's own check of every page and index, then whether the file is Hive's store at all.
std::string SqliteStore::verify() {
  {
    Statement stmt(db_, "PRAGMA quick_check");
    if (!stmt.ok()) return sqlite3_errmsg(db_);
    int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) return sqlite3_errmsg(db_);
    const auto* first = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    std::string verdict = first ? first : "";
    if (verdict != "ok") return "SQLite's quick_check finds: " + verdict;
  }
  Statement tables(db_, "SELECT count(*), sum(name = 'sandboxes') FROM sqlite_master");
  if (!tables.ok() || sqlite3_step(tables.get()) != SQLITE_ROW) return sqlite3_errmsg(db_);
  // No table at all: a first start cut off before it made one. Others but not ours: not Hive's.
  if (sqlite3_column_int(tables.get(), 0) > 0 && sqlite3_column_int(tables.get(), 1) != 1) {
    return "it holds no sandboxes table: it is not a Hive store";
  }
  return "";
}

Result<void> SqliteStore::backup(const std::string& to) {
  std::lock_guard lock(mutex_);
  const std::string part = to + ".part";
  sqlite3* copy = nullptr;
  if (sqlite3_open(part.c_str(), &copy) != SQLITE_OK) {
    Error error = db_error(copy, "open '" + part + "'");
    sqlite3_close(copy);
    return error;
  }
  sqlite3_backup* job = sqlite3_backup_init(copy, "main", db_, "main");
  int rc = job ? sqlite3_backup_step(job, -1) : SQLITE_ERROR;
  sqlite3_backup_finish(job);
  Error error = db_error(copy, "backup to '" + part + "'");
  sqlite3_close(copy);
  // Written aside and renamed, so a copy cut off by a crash or a full disk never replaces
  // the last good one.
  if (rc != SQLITE_DONE) {
    unlink(part.c_str());
    return error;
  }
  if (rename(part.c_str(), to.c_str()) != 0) return sys_error("rename", part, errno);
  return {};
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

Result<void> SqliteStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = make_error(Errc::internal, std::string("sqlite: ") + (message ? message : "?"));
    sqlite3_free(message);
    return error;
  }
  return {};
}

Result<void> SqliteStore::load() {
  Statement stmt(db_,
                 (std::string("SELECT ") + kColumns + " FROM sandboxes ORDER BY rowid").c_str());
  if (!stmt.ok()) return db_error(db_, "prepare");
  int rc = 0;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    auto record = read_row(stmt.get());
    if (!record) return record.error();
    remember(*record);
  }
  if (rc != SQLITE_DONE) return db_error(db_, "load");
  return {};
}

// Before pool, reaped_at and teardown had columns they were keys of runtime_data: such a
// database gets the columns and its rows the keys moved into them, all in one transaction (a
// crash mid-way leaves the old shape, upgraded at the next start). Read by an older server
// afterwards, its pooled sandboxes would look like anyone's.
Result<void> SqliteStore::migrate() {
  {
    Statement has(db_, "SELECT count(*) FROM pragma_table_info('sandboxes') WHERE name = 'pool'");
    if (!has.ok() || sqlite3_step(has.get()) != SQLITE_ROW) return db_error(db_, "table_info");
    if (sqlite3_column_int(has.get(), 0) == 1) return {};
  }
  if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
  auto moved = migrate_rows();
  if (auto r = exec(moved ? "COMMIT" : "ROLLBACK"); !r) return r;
  if (!moved) return moved.error();
  spdlog::info("store {}: moved pool, reaped_at and teardown out of runtime_data ({} records)",
               path_, *moved);
  return {};
}

Result<int> SqliteStore::migrate_rows() {
  for (const char* sql : {"ALTER TABLE sandboxes ADD COLUMN pool TEXT NOT NULL DEFAULT ''",
                          "ALTER TABLE sandboxes ADD COLUMN reaped_at TEXT NOT NULL DEFAULT ''",
                          "ALTER TABLE sandboxes ADD COLUMN teardown TEXT NOT NULL DEFAULT ''"}) {
    if (auto r = exec(sql); !r) return r.error();
  }
  std::vector<Record> lifted;
  {
    Statement rows(db_, (std::string("SELECT ") + kColumns + " FROM sandboxes").c_str());
    if (!rows.ok()) return db_error(db_, "prepare");
    int rc = 0;
    while ((rc = sqlite3_step(rows.get())) == SQLITE_ROW) {
      auto record = read_row(rows.get());
      if (!record) return record.error();
      if (lift_legacy_keys(*record)) lifted.push_back(std::move(*record));
    }
    if (rc != SQLITE_DONE) return db_error(db_, "read");
  }
  for (const auto& record : lifted) {
    Statement stmt(db_,
                   "UPDATE sandboxes SET runtime_data = ?2, pool = ?3, reaped_at = ?4,"
                   " teardown = ?5 WHERE id = ?1");
    if (!stmt.ok()) return db_error(db_, "prepare");
    stmt.bind(1, record.sandbox.id);
    stmt.bind(2, sandbox::dump(record.runtime_data));
    stmt.bind(3, record.pool);
    stmt.bind(4, record.reaped_at);
    stmt.bind(5, teardown_column(record.teardown));
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) return db_error(db_, "upgrade");
  }
  return static_cast<int>(lifted.size());
}

void SqliteStore::remember(Record record) {
  record.claim_version.reset();  // an update's intent, not the record's
  auto it = by_id_.find(record.sandbox.id);
  if (it == by_id_.end()) {
    auto seq = next_seq_++;
    order_[seq] = record.sandbox.id;
    by_id_.emplace(record.sandbox.id, std::make_pair(seq, record));
  } else {
    if (it->second.second.sandbox.spec.name != record.sandbox.spec.name) {
      by_name_.erase(it->second.second.sandbox.spec.name);
    }
    it->second.second = record;
  }
  if (!record.sandbox.spec.name.empty()) by_name_[record.sandbox.spec.name] = record.sandbox.id;
}

Result<void> SqliteStore::write(const char* sql, const Record& record) {
  std::lock_guard lock(mutex_);
  Statement stmt(db_, sql);
  if (!stmt.ok()) return db_error(db_, "prepare");
  stmt.bind(1, record.sandbox.id);
  if (record.sandbox.spec.name.empty()) {
    stmt.bind_null(2);
  } else {
    stmt.bind(2, record.sandbox.spec.name);
  }
  stmt.bind(3, sandbox::dump(sandbox::to_json(record.sandbox)));
  stmt.bind(4, sandbox::dump(record.runtime_data));
  stmt.bind(5, record.pool);
  stmt.bind(6, record.reaped_at);
  stmt.bind(7, teardown_column(record.teardown));
  int rc = step_write(stmt.get());
  if (rc == SQLITE_CONSTRAINT) {
    return make_error(Errc::conflict,
                      record.sandbox.spec.name.empty()
                          ? "sandbox id '" + record.sandbox.id + "' is taken"
                          : "a sandbox named '" + record.sandbox.spec.name + "' already exists");
  }
  if (rc != SQLITE_DONE) return db_error(db_, "write");
  if (sqlite3_changes(db_) == 0) {
    return make_error(Errc::not_found, "sandbox '" + record.sandbox.id + "' not found");
  }
  remember(record);
  return {};
}

Result<void> SqliteStore::insert(const Record& record) {
  return write(
      "INSERT INTO sandboxes (id, name, record, runtime_data, pool, reaped_at, teardown)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      record);
}

Result<void> SqliteStore::update(const Record& record) {
  return write(
      "UPDATE sandboxes SET name = ?2, record = ?3, runtime_data = ?4, pool = ?5, reaped_at = ?6,"
      " teardown = ?7 WHERE id = ?1",
      record);
}

Result<Record> SqliteStore::get(const std::string& id_or_name) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(id_or_name);
  if (it == by_id_.end()) {
    auto named = by_name_.find(id_or_name);
    if (named != by_name_.end()) it = by_id_.find(named->second);
  }
  if (it == by_id_.end())
    return make_error(Errc::not_found, "sandbox '" + id_or_name + "' not found");
  return it->second.second;
}

Result<std::vector<Record>> SqliteStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<Record> records;
  records.reserve(order_.size());
  for (const auto& [seq, id] : order_) records.push_back(by_id_.at(id).second);
  return records;
}

Result<void> SqliteStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement stmt(db_, "DELETE FROM sandboxes WHERE id = ?1");
  if (!stmt.ok()) return db_error(db_, "prepare");
  stmt.bind(1, id);
  if (step_write(stmt.get()) != SQLITE_DONE) return db_error(db_, "delete");
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    by_name_.erase(it->second.second.sandbox.spec.name);
    order_.erase(it->second.first);
    by_id_.erase(it);
  }
  return {};
}

}  // namespace hive::server
