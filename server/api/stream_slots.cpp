#include "api/stream_slots.hpp"

namespace hive::server {

std::shared_ptr<void> StreamSlots::take(const std::string& key) {
  {
    std::lock_guard lock(state_->mutex);
    auto& open = state_->open[key];
    if (open >= per_key_) return nullptr;
    ++open;
  }
  // Not null, so that a slot tests true; the deleter gives the slot back, holding the state
  // so a stream may outlive this object.
  return std::shared_ptr<void>(state_.get(), [state = state_, key](void*) {
    std::lock_guard lock(state->mutex);
    auto it = state->open.find(key);
    if (--it->second == 0) state->open.erase(it);
  });
}

}  // namespace hive::server
