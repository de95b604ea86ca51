#include "file_ops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>

namespace hive::agent {
namespace {

using sandbox::Json;

const char* type_of(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISLNK(mode)) return "symlink";
  return "other";
}

}  // namespace

std::string resolve_path(const std::string& path, const std::string& cwd) {
  std::string out = path.empty() || path.front() != '/' ? cwd + "/" + path : path;
  out = std::filesystem::path(out).lexically_normal().string();
  // lexically_normal keeps a leading "//" (a root name to POSIX, the root to Linux): one '/'
  // (found by fuzz_paths).
  auto first = out.find_first_not_of('/');
  if (first == std::string::npos) return "/";
  if (first > 1) out.erase(0, first - 1);
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Error file_error(std::string_view call, const std::string& path, int err) {
  Error error = sys_error(call, path, err);
  switch (err) {
    case ENOENT:
      error.code = Errc::not_found;
      break;
    case EEXIST:
    case ENOTEMPTY:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
      error.code = Errc::conflict;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      error.code = Errc::forbidden;
      break;
    case ENOSPC:
    case EDQUOT:
      error.code = Errc::payload_too_large;
      error.message += " (the sandbox's disk limit)";
      break;
    default:
      break;
  }
  return error;
}

Json entry_json(const std::string& path, const std::string& name, const struct stat& st) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  Json out{{"name", name},
           {"path", path},
           {"type", type_of(st.st_mode)},
           {"size", static_cast<std::int64_t>(st.st_size)},
           {"mode", mode},
           {"mtime", static_cast<std::int64_t>(st.st_mtime)}};
  if (S_ISLNK(st.st_mode)) {
    std::array<char, 4096> target{};
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n >= 0) out["target"] = std::string(target.data(), static_cast<std::size_t>(n));
  }
  return out;
}

Result<std::string> read_up_to(const std::string& path, std::size_t limit) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error("open", path, errno);
  std::string data(limit, '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return file_error("read", path, err);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  data.resize(got);
  return data;
}

Result<std::size_t> write_whole(const std::string& path, std::string_view bytes, bool append) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd < 0) return file_error("open", path, errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return file_error("write", path, err);
    }
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  return done;
}

Result<Json> read_directory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return file_error("opendir", path, errno);
  Json entries = Json::array();
  while (auto* item = readdir(dir)) {
    std::string name = item->d_name;
    if (name == "." || name == "..") continue;
    std::string child = (path == "/" ? "" : path) + "/" + name;
    struct stat st {};
    if (lstat(child.c_str(), &st) == 0) entries.push_back(entry_json(child, name, st));
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const Json& a, const Json& b) { return a["name"] < b["name"]; });
  return entries;
}

}  // namespace hive::agent
