// Unpacking an image layer, treated as hostile: in a child process (hive-server's hidden
// `unpack-layer` mode) chrooted into the new layer's directory, so no name, symlink or hard
// link in the archive can write outside it, whatever libarchive or this code gets wrong.
// OCI whiteouts become overlayfs ones (a 0:0 character device; trusted.overlay.opaque on an
// opaque directory). Device nodes, sockets, xattrs and ACLs from the layer are dropped: a
// sandbox gets its devices from the mount plan, and a trusted.overlay.* xattr would steer the
// overlay. libarchive reads gzip, zstd and plain tars in every dialect builders write.
#pragma once

#include <cstdint>
#include <string>

#include "hive/error.hpp"

namespace hive::server::images {

struct UnpackStats {
  std::int64_t entries = 0;
  std::int64_t bytes = 0;            // file content written
  std::int64_t dropped_devices = 0;  // device nodes and sockets left out
};

// Unpacks the blob at blob_path into dir (made here; it must not exist), running `exe`
// (hive-server itself) as the child. At most max_bytes of content: a layer is refused past it.
Result<UnpackStats> unpack_layer(const std::string& exe, const std::string& blob_path,
                                 const std::string& dir, std::int64_t max_bytes);
// The same, from an open blob (read from its current offset).
Result<UnpackStats> unpack_layer(const std::string& exe, int blob_fd, const std::string& dir,
                                 std::int64_t max_bytes);

// The child's side, for hive-server's main: `unpack-layer DIR MAX_BYTES`, the blob on stdin.
// Prints "ok ENTRIES BYTES DROPPED" or "error: WHY" on stdout; exits 0 or 1.
int unpack_layer_main(int argc, char** argv);

}  // namespace hive::server::images
