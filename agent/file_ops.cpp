#include "file_ops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
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

// openat2 with RESOLVE_NO_MAGICLINKS; where the kernel has no openat2 (before 5.6), open()
// and the textual and real-path checks below are what stands.
int open_no_magic_links(const std::string& path, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) return open(path.c_str(), flags | O_CLOEXEC, mode);
  return static_cast<int>(fd);
}

// Where an open descriptor really leads, as the kernel names it: "/proc/1/environ" for a file
// reached through /workspace/link -> /proc/self/environ; "pipe:[…]" for no path at all.
std::string real_path(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  std::array<char, 4096> target{};
  ssize_t n = readlink(link, target.data(), target.size() - 1);
  return n > 0 ? std::string(target.data(), static_cast<std::size_t>(n)) : std::string();
}

bool under(const std::string& path, std::string_view dir) {
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

// The agent's own /proc entry, under each name it has.
bool agents_own(const std::string& path) {
  for (const auto& dir : {std::string("/proc/self"), std::string("/proc/thread-self"),
                          "/proc/" + std::to_string(getpid())}) {
    if (under(path, dir)) return true;
  }
  return false;
}

Error outside(const std::string& path) {
  return make_error(Errc::forbidden,
                    "'" + path +
                        "' leads outside what a sandbox's files may be (the agent's "
                        "own /proc entry, a descriptor, /proc or /sys)");
}

// Closes fd and answers the error when the open file is not one a client may have.
Result<int> admit(int fd, const std::string& path, bool writing, bool directory_ok) {
  struct stat st {};
  const std::string real = real_path(fd);
  Result<int> verdict = fd;
  if (real.empty() || real.front() != '/' || agents_own(real) || agents_own(path) ||
      (writing && (under(real, "/proc") || under(real, "/sys")))) {
    verdict = outside(path);
  } else if (fstat(fd, &st) != 0) {
    verdict = file_error("fstat", path, errno);
  } else if (!S_ISREG(st.st_mode) && !(directory_ok && S_ISDIR(st.st_mode))) {
    verdict = make_error(Errc::conflict, "'" + path + "' is not a regular file");
  }
  if (!verdict) close(fd);
  return verdict;
}

}  // namespace

Result<int> open_to_read(const std::string& path, bool directory_ok) {
  int fd = open_no_magic_links(path, O_RDONLY | O_NONBLOCK, 0);
  if (fd < 0) return errno == ELOOP ? Result<int>(outside(path)) : file_error("open", path, errno);
  return admit(fd, path, false, directory_ok);
}

Result<int> open_to_write(const std::string& path, int flags, unsigned mode) {
  if (under(path, "/proc") || under(path, "/sys")) return outside(path);
  int fd = open_no_magic_links(path, flags | O_WRONLY | O_NONBLOCK, mode);
  if (fd < 0) return errno == ELOOP ? Result<int>(outside(path)) : file_error("open", path, errno);
  return admit(fd, path, true, false);
}

Result<void> check_tree_path(const std::string& path) {
  if (under(path, "/proc") || under(path, "/sys")) return outside(path);
  int fd = open_no_magic_links(path, O_PATH, 0);
  if (fd < 0) {
    if (errno == ELOOP) return outside(path);
    return {};  // not there (yet): the caller's own call reports it
  }
  const std::string real = real_path(fd);
  close(fd);
  if (under(real, "/proc") || under(real, "/sys") || real.empty() || real.front() != '/') {
    return outside(path);
  }
  return {};
}

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
    case EBUSY:  // a mount point, a running binary: in use, not a bug of ours
    case ETXTBSY:
      error.code = Errc::conflict;
      break;
    case ENAMETOOLONG:
    case EINVAL:
    case ENXIO:
    case ENODEV:
      error.code = Errc::invalid_argument;
      break;
    case EFBIG:
      error.code = Errc::payload_too_large;
      break;
    case EMFILE:
    case ENFILE:
      error.code = Errc::unavailable;
      break;
    case ENOSPC:
    case EDQUOT:
      error.code = Errc::insufficient_storage;
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
  auto opened = open_to_read(path);
  if (!opened) return opened.error();
  const int fd = *opened;
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
  auto opened = open_to_write(path, O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  if (!opened) return opened.error();
  const int fd = *opened;
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
  auto opened = open_to_read(path, /*directory_ok=*/true);
  if (!opened) return opened.error();
  DIR* dir = fdopendir(*opened);
  if (dir == nullptr) {
    int err = errno;
    close(*opened);
    return file_error("opendir", path, err);
  }
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
