// A Store in memory with what the Pod store has and SqliteStore lacks: several writers. Every
// write gives the record a new version, and an update that claims a pooled sandbox
// (claim_version set) is refused with Errc::conflict once the record has moved past the
// version the claimant read, as the Pod store's resourceVersion-guarded PATCH is. A hook lets
// a test run another writer between a claimant's read and its write.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace hive::test {

class MemoryStore : public server::Store {
 public:
  Result<void> insert(const server::Record& record) override;
  Result<void> update(const server::Record& record) override;
  Result<server::Record> get(const std::string& id_or_name) override;
  Result<std::vector<server::Record>> list() override;
  Result<void> remove(const std::string& id) override;
  Result<void> check() override;

  // Runs once, at the start of the next update, outside the store's lock.
  void before_next_update(std::function<void()> hook);
  // While full, check() answers as SqliteStore's on a full disk.
  void set_full(bool full);

 private:
  std::mutex mutex_;
  std::map<std::string, server::Record> by_id_;
  std::vector<std::string> order_;  // ids in insertion order
  std::uint64_t next_version_ = 1;
  bool full_ = false;
  std::function<void()> hook_;
};

}  // namespace hive::test
