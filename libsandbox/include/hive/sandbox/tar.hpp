// Streaming tar (ustar with GNU long names; pax path/size records are read too), for
// `hivectl cp` on both sides: the agent packs and unpacks inside the sandbox, the client on
// the user's machine. Nothing is held whole: the writer is pulled a buffer at a time, the
// reader pushed a buffer at a time.
//
// The reader never writes outside its destination: absolute names are made relative, a ".."
// component is refused, so is an entry whose parent is a symlink (a link extracted earlier
// cannot carry a later file out), and an existing symlink in an entry's place is replaced,
// never followed. Permission bits are kept (no set-id bits), owners are not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hive/error.hpp"

namespace hive::sandbox {

class TarWriter {
 public:
  // Packs the file, symlink or directory tree at `source`, named `name` in the archive.
  TarWriter(std::string source, std::string name);
  ~TarWriter();
  // Checks that the source exists and lists the tree (before any byte is sent).
  Result<void> open();
  // Fills up to `room` bytes of `into`; 0 once the archive has ended.
  Result<std::size_t> read(char* into, std::size_t room);

 private:
  struct Entry;
  Result<void> next_entry();
  std::string source_, name_;
  std::vector<Entry> entries_;
  std::size_t next_ = 0;
  std::string staged_;  // header or trailer bytes not yet handed out
  int fd_ = -1;         // the regular file whose content is being sent
  std::uint64_t left_ = 0, padding_ = 0;
  bool ended_ = false;
};

struct TarStats {
  std::uint64_t entries = 0, bytes = 0;
};

class TarReader {
 public:
  // Unpacks into `destination`, an existing directory.
  explicit TarReader(std::string destination);
  ~TarReader();
  Result<void> write(std::string_view data);
  // After the last byte: fails if the archive was cut short.
  Result<void> finish();
  // After a failure (a full disk, a broken archive or connection): removes what this reader
  // made, so a failed copy leaves nothing partial. A file it replaced is whole (each file is
  // written beside its place and renamed into it once complete), the old one or the new.
  void discard();
  const TarStats& stats() const { return stats_; }

 private:
  Result<void> on_header();
  Result<void> on_data(std::string_view data);
  Result<void> end_entry();
  Result<std::string> place(const std::string& name);

  std::string destination_;
  std::string block_;  // a header block being assembled
  char type_ = 0;
  std::string name_, link_, long_name_, long_link_, meta_;  // meta_: a long name or pax body
  std::uint64_t size_ = 0, left_ = 0, padding_ = 0;
  unsigned mode_ = 0644;
  std::int64_t mtime_ = 0;
  int fd_ = -1;
  std::string partial_, partial_target_;  // the file being written, and where it goes
  std::vector<std::string> created_;      // what did not exist before, in creation order
  bool ended_ = false;
  int zero_blocks_ = 0;
  TarStats stats_;
};

}  // namespace hive::sandbox
