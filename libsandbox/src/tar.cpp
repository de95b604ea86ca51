#include "hive/sandbox/tar.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

namespace hive::sandbox {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::uint64_t kMaxMeta = 1 << 20;  // a long name or pax header

Error bad_archive(const std::string& why) {
  return make_error(Errc::invalid_argument, "not a valid tar archive: " + why);
}

std::uint64_t padding_for(std::uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

// Octal with a NUL, or GNU base-256 for sizes past what 11 octal digits hold.
void put_number(char* field, std::size_t width, std::uint64_t value) {
  if (value < (1ULL << (3 * (width - 1)))) {
    std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                  static_cast<unsigned long long>(value));
    return;
  }
  field[0] = static_cast<char>(0x80);
  for (std::size_t i = width - 1; i > 0; --i, value >>= 8) {
    field[i] = static_cast<char>(value & 0xff);
  }
}

Result<std::uint64_t> get_number(const char* field, std::size_t width) {
  if (static_cast<unsigned char>(field[0]) & 0x80) {
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < width; ++i)
      value = (value << 8) | static_cast<unsigned char>(field[i]);
    return value;
  }
  std::uint64_t value = 0;
  std::size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + (field[i] - '0');
  if (i < width && field[i] != '\0' && field[i] != ' ') return bad_archive("a malformed number");
  return value;
}

std::string header_block(const std::string& name, char type, std::uint64_t size, unsigned mode,
                         std::int64_t mtime, const std::string& link) {
  std::string block(kBlock, '\0');
  char* h = block.data();
  std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 100));
  put_number(h + 100, 8, mode & 07777);
  put_number(h + 108, 8, 0);
  put_number(h + 116, 8, 0);
  put_number(h + 124, 12, size);
  put_number(h + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  h[156] = type;
  std::memcpy(h + 157, link.data(), std::min<std::size_t>(link.size(), 100));
  std::memcpy(h + 257, "ustar  ", 8);  // GNU magic: long names come as 'L'/'K' entries
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  return block;
}

// A GNU 'L' (long name) or 'K' (long link) entry for text past 100 bytes.
std::string long_entry(char type, const std::string& text) {
  std::string out = header_block("././@LongLink", type, text.size() + 1, 0644, 0, "");
  out += text;
  out.push_back('\0');
  out.append(padding_for(text.size() + 1), '\0');
  return out;
}

}  // namespace

struct TarWriter::Entry {
  std::string path, name;
  struct stat st {};
  std::string link;
};

TarWriter::TarWriter(std::string source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {}

TarWriter::~TarWriter() {
  if (fd_ >= 0) close(fd_);
}

Result<void> TarWriter::open() {
  std::function<Result<void>(const std::string&, const std::string&)> walk =
      [&](const std::string& path, const std::string& name) -> Result<void> {
    Entry entry{path, name, {}, ""};
    if (lstat(path.c_str(), &entry.st) != 0) return sys_error("lstat", path, errno);
    if (S_ISLNK(entry.st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(path.c_str(), target, sizeof target);
      if (n < 0) return sys_error("readlink", path, errno);
      entry.link.assign(target, static_cast<std::size_t>(n));
    }
    const bool is_dir = S_ISDIR(entry.st.st_mode);
    entries_.push_back(std::move(entry));
    if (!is_dir) return {};
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) return sys_error("opendir", path, errno);
    std::vector<std::string> children;
    while (auto* item = readdir(dir)) {
      std::string child = item->d_name;
      if (child != "." && child != "..") children.push_back(std::move(child));
    }
    closedir(dir);
    std::sort(children.begin(), children.end());
    for (const auto& child : children) {
      if (auto r = walk(path + "/" + child, name + "/" + child); !r) return r;
    }
    return {};
  };
  return walk(source_, name_);
}

Result<void> TarWriter::next_entry() {
  if (next_ >= entries_.size()) {
    ended_ = true;
    staged_.assign(2 * kBlock, '\0');
    return {};
  }
  const Entry& entry = entries_[next_++];
  const auto& st = entry.st;
  char type = '0';
  std::uint64_t size = 0;
  std::string name = entry.name;
  if (S_ISDIR(st.st_mode)) {
    type = '5';
    name += "/";
  } else if (S_ISLNK(st.st_mode)) {
    type = '2';
  } else if (S_ISREG(st.st_mode)) {
    size = static_cast<std::uint64_t>(st.st_size);
  } else {
    return {};  // sockets, fifos and devices are not copied
  }
  if (name.size() > 100) staged_ += long_entry('L', name);
  if (entry.link.size() > 100) staged_ += long_entry('K', entry.link);
  staged_ += header_block(name, type, size, st.st_mode, st.st_mtime, entry.link);
  if (size > 0) {
    fd_ = ::open(entry.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) return sys_error("open", entry.path, errno);
    left_ = size;
    padding_ = padding_for(size);
  }
  return {};
}

Result<std::size_t> TarWriter::read(char* into, std::size_t room) {
  std::size_t given = 0;
  while (given < room) {
    if (!staged_.empty()) {
      std::size_t n = std::min(room - given, staged_.size());
      std::memcpy(into + given, staged_.data(), n);
      staged_.erase(0, n);
      given += n;
    } else if (left_ > 0) {
      ssize_t n = ::read(fd_, into + given, std::min<std::uint64_t>(room - given, left_));
      if (n <= 0) {
        const auto& path = entries_[next_ - 1].path;
        if (n < 0) return sys_error("read", path, errno);
        return make_error(Errc::conflict, "'" + path + "' shrank while it was being copied");
      }
      left_ -= static_cast<std::uint64_t>(n);
      given += static_cast<std::size_t>(n);
      if (left_ == 0) {
        close(fd_);
        fd_ = -1;
        staged_.assign(padding_, '\0');
      }
    } else if (ended_) {
      break;
    } else if (auto r = next_entry(); !r) {
      return r.error();
    }
  }
  return given;
}

TarReader::TarReader(std::string destination) : destination_(std::move(destination)) {}

TarReader::~TarReader() {
  if (fd_ >= 0) close(fd_);
  if (!partial_.empty()) unlink(partial_.c_str());
}

void TarReader::discard() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!partial_.empty()) unlink(partial_.c_str());
  partial_.clear();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    struct stat st {};
    if (lstat(it->c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      rmdir(it->c_str());  // empty by now: what it held was made here too
    } else {
      unlink(it->c_str());
    }
  }
  created_.clear();
}

Result<void> TarReader::write(std::string_view data) {
  while (!data.empty() && !ended_) {
    if (left_ > 0) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, data.size()));
      if (auto r = on_data(data.substr(0, n)); !r) return r;
      left_ -= n;
      data.remove_prefix(n);
      if (left_ == 0) {
        if (auto r = end_entry(); !r) return r;
      }
    } else if (padding_ > 0) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(padding_, data.size()));
      padding_ -= n;
      data.remove_prefix(n);
    } else {
      std::size_t n = std::min(kBlock - block_.size(), data.size());
      block_.append(data.substr(0, n));
      data.remove_prefix(n);
      if (block_.size() == kBlock) {
        auto r = on_header();
        block_.clear();
        if (!r) return r;
      }
    }
  }
  return {};
}

Result<void> TarReader::finish() {
  if (left_ > 0 || padding_ > 0 || !block_.empty() ||
      (!ended_ && zero_blocks_ == 0 && stats_.entries == 0)) {
    return bad_archive("it ends in the middle of an entry");
  }
  return {};
}

Result<void> TarReader::on_header() {
  const char* h = block_.data();
  if (std::all_of(block_.begin(), block_.end(), [](char c) { return c == '\0'; })) {
    if (++zero_blocks_ == 2) ended_ = true;
    return {};
  }
  zero_blocks_ = 0;
  auto checksum = get_number(h + 148, 8);
  unsigned sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  if (!checksum || *checksum != sum) return bad_archive("a header's checksum is wrong");
  auto size = get_number(h + 124, 12);
  auto mode = get_number(h + 100, 8);
  auto mtime = get_number(h + 136, 12);
  if (!size || !mode || !mtime) return bad_archive("a header has a malformed number");
  type_ = h[156];
  name_ = std::string(h, strnlen(h, 100));
  if (std::memcmp(h + 257, "ustar\0", 6) == 0 && h[345] != '\0') {
    name_ = std::string(h + 345, strnlen(h + 345, 155)) + "/" + name_;  // POSIX prefix
  }
  link_ = std::string(h + 157, strnlen(h + 157, 100));
  if (!long_name_.empty()) name_ = std::exchange(long_name_, "");
  if (!long_link_.empty()) link_ = std::exchange(long_link_, "");
  size_ = left_ = *size;
  padding_ = padding_for(size_);
  mode_ = static_cast<unsigned>(*mode) & 0777;
  mtime_ = static_cast<std::int64_t>(*mtime);
  meta_.clear();
  if (type_ == 'L' || type_ == 'K' || type_ == 'x' || type_ == 'g') {
    if (size_ > kMaxMeta) return bad_archive("a long name or pax header over 1 MiB");
  } else if (type_ == '0' || type_ == '\0' || type_ == '7') {
    auto path = place(name_);
    if (!path) return path.error();
    // Beside its place until whole: a copy cut short leaves no partial file.
    partial_target_ = *path;
    partial_ = *path + ".hive-partial";
    unlink(partial_.c_str());
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      partial_.clear();
      return sys_error("open", *path, errno);
    }
  } else if (type_ == '1' || type_ == '2' || type_ == '5') {
    if (size_ == 0 && left_ == 0) return end_entry();
  }
  if (left_ == 0) return end_entry();
  return {};
}

Result<void> TarReader::on_data(std::string_view data) {
  if (fd_ >= 0) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("write", destination_ + "/" + name_, errno);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  } else if (type_ == 'L' || type_ == 'K' || type_ == 'x') {
    meta_.append(data);
  }
  return {};
}

Result<void> TarReader::end_entry() {
  switch (type_) {
    case 'L':
    case 'K': {
      std::string text = meta_.substr(0, meta_.find('\0'));
      (type_ == 'L' ? long_name_ : long_link_) = std::move(text);
      return {};
    }
    case 'x': {  // pax records: "LEN key=value\n"
      std::string_view rest = meta_;
      while (!rest.empty()) {
        auto space = rest.find(' ');
        std::size_t length = 0;
        for (std::size_t i = 0; i < space && i < rest.size(); ++i)
          length = length * 10 + (rest[i] - '0');
        if (space == std::string_view::npos || length <= space || length > rest.size()) {
          return bad_archive("a malformed pax record");
        }
        std::string_view record = rest.substr(space + 1, length - space - 2);
        auto eq = record.find('=');
        if (eq != std::string_view::npos) {
          if (record.substr(0, eq) == "path") long_name_ = record.substr(eq + 1);
          if (record.substr(0, eq) == "linkpath") long_link_ = record.substr(eq + 1);
        }
        rest.remove_prefix(length);
      }
      return {};
    }
    case '5': {
      auto path = place(name_);
      if (!path) return path.error();
      struct stat st {};
      if (lstat(path->c_str(), &st) != 0) {
        if (mkdir(path->c_str(), 0700) != 0) return sys_error("mkdir", *path, errno);
        created_.push_back(*path);
      }
      if (lstat(path->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(Errc::conflict, "'" + *path + "' exists and is not a directory");
      }
      chmod(path->c_str(), mode_ | 0700);  // the owner keeps writing into it
      ++stats_.entries;
      return {};
    }
    case '2':
    case '1': {
      auto path = place(name_);
      if (!path) return path.error();
      if (unlink(path->c_str()) != 0) created_.push_back(*path);  // nothing was there
      if (type_ == '2') {
        if (symlink(link_.c_str(), path->c_str()) != 0) return sys_error("symlink", *path, errno);
      } else {
        auto target = place(link_);
        if (!target) return target.error();
        if (link(target->c_str(), path->c_str()) != 0) return sys_error("link", *path, errno);
      }
      ++stats_.entries;
      return {};
    }
    default:
      break;
  }
  if (fd_ >= 0) {
    fchmod(fd_, mode_);
    struct timespec times[2] = {{mtime_, 0}, {mtime_, 0}};
    futimens(fd_, times);
    close(fd_);
    fd_ = -1;
    struct stat st {};
    const bool existed = lstat(partial_target_.c_str(), &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) {
      return make_error(Errc::conflict, "'" + partial_target_ + "' is a directory");
    }
    if (rename(partial_.c_str(), partial_target_.c_str()) != 0) {
      return sys_error("rename", partial_target_, errno);
    }
    partial_.clear();
    if (!existed) created_.push_back(partial_target_);
    ++stats_.entries;
    stats_.bytes += size_;
  }
  return {};
}

Result<std::string> TarReader::place(const std::string& name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    std::string part = name.substr(start, slash - start);
    if (part == "..")
      return make_error(Errc::invalid_argument,
                        "tar entry '" + name + "' leaves the destination ('..')");
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = slash + 1;
  }
  std::string path = destination_;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    path += "/" + parts[i];
    if (i + 1 == parts.size()) break;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      if (mkdir(path.c_str(), 0755) != 0) return sys_error("mkdir", path, errno);
      created_.push_back(path);
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      return make_error(Errc::invalid_argument,
                        "tar entry '" + name + "' goes through the symbolic link '" + path + "'");
    }
    if (!S_ISDIR(st.st_mode))
      return make_error(Errc::conflict, "'" + path + "' is not a directory");
  }
  return path;
}

}  // namespace hive::sandbox
