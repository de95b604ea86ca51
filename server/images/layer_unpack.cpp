#include "images/layer_unpack.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include "common/unique_fd.hpp"

extern char** environ;

namespace hive::server::images {
namespace {

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";

// The entry's name made relative ("./a", "/a" -> "a"); "" when a ".." would leave the root.
std::string relative_name(const char* raw) {
  std::string name = raw == nullptr ? "" : raw;
  std::vector<std::string> parts;
  std::stringstream in(name);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return "";
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out.empty() ? "." : out;
}

bool make_parents(const std::string& path) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

// A whiteout entry: ".wh.NAME" hides NAME of the layers below; ".wh..wh..opq" hides all of
// its directory's lower content.
std::string apply_whiteout(const std::string& name) {
  auto slash = name.rfind('/');
  std::string dir = slash == std::string::npos ? "." : name.substr(0, slash);
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  if (!make_parents(name)) return "mkdir " + dir + ": " + std::strerror(errno);
  if (base == kOpaqueMarker) {
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return "mkdir " + dir + ": " + std::strerror(errno);
    if (setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return "opaque " + dir + ": " + std::strerror(errno);
    }
    return "";
  }
  std::string hidden = (dir == "." ? "" : dir + "/") + base.substr(std::strlen(kWhiteoutPrefix));
  if (mknod(hidden.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST) {
    return "whiteout " + hidden + ": " + std::strerror(errno);
  }
  return "";
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_free(a); }
};

// The loop itself, already inside the layer's directory as "/".
std::string unpack_stdin(std::int64_t max_bytes, UnpackStats& stats) {
  std::unique_ptr<archive, ArchiveDeleter> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_fd(in.get(), 0, 1 << 16) != ARCHIVE_OK) {
    return std::string("not a tar archive: ") + archive_error_string(in.get());
  }
  std::unique_ptr<archive, ArchiveDeleter> out(archive_write_disk_new());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN)
      return std::string("reading the layer: ") + archive_error_string(in.get());
    std::string name = relative_name(archive_entry_pathname(entry));
    if (name.empty()) {
      return std::string("entry '") + archive_entry_pathname(entry) + "' leaves the layer";
    }
    ++stats.entries;
    std::string base = name.substr(name.rfind('/') + 1);
    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      if (auto why = apply_whiteout(name); !why.empty()) return why;
      continue;
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
      ++stats.dropped_devices;
      continue;
    }
    if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
      std::string target = relative_name(link);
      if (target.empty() || target == ".") {
        return std::string("hard link '") + name + "' to '" + link + "' leaves the layer";
      }
      archive_entry_set_hardlink(entry, target.c_str());
    }
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_xattr_clear(entry);
    archive_entry_acl_clear(entry);
    archive_entry_set_fflags(entry, 0, 0);
    stats.bytes += archive_entry_size(entry);
    if (stats.bytes > max_bytes) {
      return "the layer holds more than " + std::to_string(max_bytes) + " bytes";
    }
    if (!make_parents(name)) return "mkdir for " + name + ": " + std::strerror(errno);
    rc = archive_read_extract2(in.get(), entry, out.get());
    if (rc < ARCHIVE_WARN) {
      const char* why = archive_error_string(out.get());
      if (why == nullptr) why = archive_error_string(in.get());
      return "entry '" + name + "': " + (why ? why : "cannot be written");
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return std::string("finishing the layer: ") + archive_error_string(out.get());
  }
  return "";
}

}  // namespace

namespace {

// Ends the child at once: a sanitizer's exit-time work (LeakSanitizer reads /proc) cannot
// run in the chroot, and there is nothing else to do.
[[noreturn]] void finish(int code) {
  std::fflush(stdout);
  _exit(code);
}

int unpack_in_chroot(int argc, char** argv) {
  if (argc != 5) {
    std::printf("error: usage: hive-server unpack-layer DIR MAX_BYTES PARENT_PID < BLOB\n");
    return 1;
  }
  const std::string dir = argv[2];
  const std::int64_t max_bytes = std::atoll(argv[3]);
  // Dies with the server: a kill -9 mid-pull must leave no unpacker writing into tmp/ while
  // the restarted server empties it. (The signal follows the spawning thread, a layer worker
  // that waits for this child.) The check after the prctl covers a parent already gone.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != static_cast<pid_t>(std::atoll(argv[4]))) return 1;
  umask(0);
  if (mkdir(dir.c_str(), 0755) != 0) {
    std::printf("error: mkdir %s: %s\n", dir.c_str(), std::strerror(errno));
    return 1;
  }
  if (chroot(dir.c_str()) != 0 || chdir("/") != 0) {
    std::printf("error: chroot %s: %s\n", dir.c_str(), std::strerror(errno));
    return 1;
  }
  UnpackStats stats;
  if (auto why = unpack_stdin(max_bytes, stats); !why.empty()) {
    std::printf("error: %s\n", why.c_str());
    return 1;
  }
  std::printf("ok %lld %lld %lld\n", static_cast<long long>(stats.entries),
              static_cast<long long>(stats.bytes), static_cast<long long>(stats.dropped_devices));
  return 0;
}

}  // namespace

int unpack_layer_main(int argc, char** argv) { finish(unpack_in_chroot(argc, argv)); }

Result<UnpackStats> unpack_layer(const std::string& exe, const std::string& blob_path,
                                 const std::string& dir, std::int64_t max_bytes) {
  UniqueFd blob(open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!blob.valid()) return sys_error("open", blob_path, errno);
  return unpack_layer(exe, blob.get(), dir, max_bytes);
}

Result<UnpackStats> unpack_layer(const std::string& exe, int blob_fd, const std::string& dir,
                                 std::int64_t max_bytes) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return sys_error("pipe2", "", errno);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, blob_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  // Nothing else of the server's: not its clients' sockets, not the store.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::string max = std::to_string(max_bytes);
  std::string parent = std::to_string(getpid());
  std::vector<char*> argv{const_cast<char*>("hive-server"),
                          const_cast<char*>("unpack-layer"),
                          const_cast<char*>(dir.c_str()),
                          max.data(),
                          parent.data(),
                          nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return sys_error("spawn", exe + " unpack-layer", rc);
  write_end.reset();
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = read(read_end.get(), buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (report.size() < 64 * 1024) report.append(buffer, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!report.empty() && report.back() == '\n') report.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && report.rfind("ok ", 0) == 0) {
    UnpackStats stats;
    std::istringstream(report.substr(3)) >> stats.entries >> stats.bytes >> stats.dropped_devices;
    return stats;
  }
  if (report.rfind("error: ", 0) == 0) report = report.substr(7);
  if (report.empty()) report = "the unpacker died (status " + std::to_string(status) + ")";
  const bool full = report.find("No space left") != std::string::npos;
  return make_error(full ? Errc::insufficient_storage : Errc::invalid_argument, report);
}

}  // namespace hive::server::images
