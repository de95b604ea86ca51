// Whether a state directory's database can be trusted, read before SQLite opens it. SQLite
// takes a zero-length file for an empty database and a WAL whose header is damaged for no WAL
// at all; either way the server would start with an empty list while the sandboxes it lost
// ran on as orphans. These checks look at the bytes SQLite would silently forgive.
#pragma once

#include <string>

namespace hive::server {

// What is wrong with the database file's header ("" when nothing, or when there is no file).
std::string db_file_damage(const std::string& path);

// What is wrong with a WAL file ("" when nothing, or when it is absent or empty): its header,
// or a committed frame SQLite would drop because an earlier frame is damaged. Frames of an
// earlier WAL generation (other salts) and a torn last frame are normal and not damage.
std::string wal_file_damage(const std::string& path);

// The message a damaged store stops the server with: the file, the problem, the recovery.
std::string damaged_store_message(const std::string& path, const std::string& problem);

}  // namespace hive::server
