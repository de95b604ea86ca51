#include "store/integrity.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace hive::server {
namespace {

// WAL format: https://www.sqlite.org/fileformat.html#the_write_ahead_log
constexpr std::uint32_t kWalMagicLittle = 0x377f0682;  // checksums over little-endian words
constexpr std::uint32_t kWalMagicBig = 0x377f0683;     // over big-endian words
constexpr std::uint32_t kWalVersion = 3007000;
constexpr std::size_t kWalHeader = 32;
constexpr std::size_t kFrameHeader = 24;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::uint32_t be32(const std::string& bytes, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint32_t le32(const std::string& bytes, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
         std::uint32_t{p[0]};
}

struct Checksum {
  std::uint32_t s1 = 0, s2 = 0;
  bool operator==(const Checksum& other) const { return s1 == other.s1 && s2 == other.s2; }
};

// SQLite's WAL checksum (walChecksumBytes): over pairs of 32-bit words, n a multiple of 8.
Checksum wal_checksum(const std::string& bytes, std::size_t at, std::size_t n, bool big_endian,
                      Checksum sum) {
  for (std::size_t i = at; i < at + n; i += 8) {
    std::uint32_t x0 = big_endian ? be32(bytes, i) : le32(bytes, i);
    std::uint32_t x1 = big_endian ? be32(bytes, i + 4) : le32(bytes, i + 4);
    sum.s1 += x0 + sum.s2;
    sum.s2 += x1 + sum.s1;
  }
  return sum;
}

bool valid_page_size(std::uint32_t size) {
  return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

}  // namespace

std::string db_file_damage(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";  // a fresh state directory
  if (st.st_size == 0) return "it is empty (0 bytes): truncated, it no longer holds any record";
  std::ifstream in(path, std::ios::binary);
  char header[100] = {};
  in.read(header, sizeof header);
  if (in.gcount() < static_cast<std::streamsize>(sizeof header)) {
    return "it is " + std::to_string(in.gcount()) +
           " bytes long, shorter than a SQLite header: truncated";
  }
  if (std::memcmp(header, "SQLite format 3", 16) != 0) {
    return "it does not start with the SQLite header (overwritten?)";
  }
  std::uint32_t page_size = be32(std::string(header, sizeof header), 16) >> 16;
  if (page_size == 1) page_size = 65536;
  if (!valid_page_size(page_size)) {
    return "its header names an impossible page size (" + std::to_string(page_size) + ")";
  }
  if (st.st_size % page_size != 0) {
    return "its size (" + std::to_string(st.st_size) + " bytes) is not a whole number of " +
           std::to_string(page_size) + "-byte pages: truncated";
  }
  return "";
}

std::string wal_file_damage(const std::string& path) {
  const std::string wal = read_all(path);
  if (wal.empty()) return "";  // no WAL, or one reset by a checkpoint
  const std::string what = "its write-ahead log " + path;
  if (wal.size() < kWalHeader) return what + " is shorter than a WAL header";
  const std::uint32_t magic = be32(wal, 0);
  if (magic != kWalMagicLittle && magic != kWalMagicBig) {
    return what + " does not start with a WAL header (overwritten?)";
  }
  const bool big_endian = magic == kWalMagicBig;
  if (be32(wal, 4) != kWalVersion) return what + " names an unknown WAL version";
  const std::uint32_t page_size = be32(wal, 8);
  if (!valid_page_size(page_size)) return what + " names an impossible page size";
  const Checksum header_sum = wal_checksum(wal, 0, 24, big_endian, {});
  if (!(header_sum == Checksum{be32(wal, 24), be32(wal, 28)})) {
    return what + "'s header fails its checksum";
  }
  const std::uint32_t salt1 = be32(wal, 16), salt2 = be32(wal, 20);
  // SQLite reads frames up to the first that fails; a later frame of this generation that
  // checks out against its own predecessor is committed data SQLite would drop.
  const std::size_t frame_size = kFrameHeader + page_size;
  std::size_t first_bad = 0;
  Checksum previous = header_sum;
  for (std::size_t at = kWalHeader, frame = 1; at + frame_size <= wal.size();
       at += frame_size, ++frame) {
    const bool ours = be32(wal, at + 8) == salt1 && be32(wal, at + 12) == salt2;
    Checksum sum = wal_checksum(wal, at, 8, big_endian, previous);
    sum = wal_checksum(wal, at + kFrameHeader, page_size, big_endian, sum);
    const bool sound = ours && sum == Checksum{be32(wal, at + 16), be32(wal, at + 20)};
    if (!sound && first_bad == 0) first_bad = frame;
    if (sound && first_bad != 0) {
      return what + " is damaged at frame " + std::to_string(first_bad) +
             ", before frames that were written after it";
    }
    previous = Checksum{be32(wal, at + 16), be32(wal, at + 20)};  // as the next frame chains on
  }
  return "";
}

std::string damaged_store_message(const std::string& path, const std::string& problem) {
  const std::string copy = path + ".bak";
  const std::string restore = access(copy.c_str(), F_OK) == 0
                                  ? "either copy " + copy +
                                        " (the store as of the last clean start or stop) to " +
                                        path + " or start empty"
                                  : "start empty (there is no copy at " + copy + " to restore)";
  return "the sandbox store " + path + " is damaged: " + problem +
         ". hive-server will not start on it: it would lose track of the sandboxes it held, "
         "which would run on as orphans. To recover, move " +
         path + " (with its -wal and -shm files) aside, then " + restore +
         "; at that start, sandboxes running without a record are torn down as orphans.";
}

}  // namespace hive::server
