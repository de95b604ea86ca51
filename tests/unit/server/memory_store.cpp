#include "memory_store.hpp"

#include <algorithm>

#include "hive/sandbox/types.hpp"

namespace hive::test {

using server::Record;

namespace {

Error not_found(const std::string& id_or_name) {
  return make_error(Errc::not_found, "sandbox '" + id_or_name + "' not found");
}

}  // namespace

Result<void> MemoryStore::insert(const Record& record) {
  std::lock_guard lock(mutex_);
  const auto& name = record.sandbox.spec.name;
  if (by_id_.count(record.sandbox.id) != 0) {
    return make_error(Errc::conflict, "sandbox id '" + record.sandbox.id + "' is taken");
  }
  for (const auto& [id, other] : by_id_) {
    if (!name.empty() && other.sandbox.spec.name == name) {
      return make_error(Errc::conflict, "a sandbox named '" + name + "' already exists");
    }
  }
  Record stored = record;
  stored.claim_version.reset();
  stored.version = std::to_string(next_version_++);
  by_id_[record.sandbox.id] = std::move(stored);
  order_.push_back(record.sandbox.id);
  return {};
}

Result<void> MemoryStore::update(const Record& record) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    hook.swap(hook_);
  }
  if (hook) hook();
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(record.sandbox.id);
  if (it == by_id_.end()) return not_found(record.sandbox.id);
  const auto& name = record.sandbox.spec.name;
  for (const auto& [id, other] : by_id_) {
    if (!name.empty() && id != record.sandbox.id && other.sandbox.spec.name == name) {
      return make_error(Errc::conflict, "a sandbox named '" + name + "' already exists");
    }
  }
  if (record.claim_version && *record.claim_version != it->second.version) {
    return make_error(Errc::conflict, "sandbox " + record.sandbox.id + " is at version " +
                                          it->second.version + ", not " + *record.claim_version);
  }
  Record stored = record;
  stored.claim_version.reset();
  stored.version = std::to_string(next_version_++);
  it->second = std::move(stored);
  return {};
}

Result<Record> MemoryStore::get(const std::string& id_or_name) {
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(id_or_name); it != by_id_.end()) return it->second;
  for (const auto& [id, record] : by_id_) {
    if (!record.sandbox.spec.name.empty() && record.sandbox.spec.name == id_or_name) {
      return record;
    }
  }
  return not_found(id_or_name);
}

Result<std::vector<Record>> MemoryStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<Record> records;
  for (const auto& id : order_) records.push_back(by_id_.at(id));
  return records;
}

Result<void> MemoryStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  by_id_.erase(id);
  order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
  return {};
}

Result<void> MemoryStore::check() {
  std::lock_guard lock(mutex_);
  if (!full_) return {};
  return make_error(Errc::unavailable, "the disk of the state directory is full");
}

void MemoryStore::before_next_update(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hook_ = std::move(hook);
}

void MemoryStore::set_full(bool full) {
  std::lock_guard lock(mutex_);
  full_ = full;
}

}  // namespace hive::test
