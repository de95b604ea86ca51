// How SqliteStore keeps a Record's typed fields: pool and reaped_at as text columns, the
// teardown retry as a small JSON object in a third ("" when none). Databases written before
// those columns existed carried the same facts as keys of runtime_data ("pool", "reaped_at",
// "teardown_*", and a "claim" marker left by a warm-pool claim); lift_legacy_keys() moves them
// into the fields, once, when such a database is opened (SqliteStore's migration).
#pragma once

#include <optional>
#include <string>

#include "store/store.hpp"

namespace hive::server {

std::string teardown_column(const std::optional<TeardownRetry>& teardown);
// nullopt for "" and for text that is not a teardown object.
std::optional<TeardownRetry> teardown_from_column(const std::string& text);

// Moves the old runtime_data keys into the record's fields; whether there were any.
bool lift_legacy_keys(Record& record);

}  // namespace hive::server
