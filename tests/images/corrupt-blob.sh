#!/usr/bin/env bash
# Makes a registry serve a blob whose bytes do not match its digest, which it would never
# accept on upload (distribution checks the digest of every blob pushed to it).
#   corrupt-blob.sh REGISTRY_ROOT DIGEST [REPLACEMENT]
# REGISTRY_ROOT is the filesystem driver's rootdirectory (TestRegistry::storage_dir()); the
# blob's data file is replaced by REPLACEMENT (make-test-images.sh's bad-digest-layer.tar.gz
# for bad/digest:1: a valid gzip tar of the same size) or, without it, by a copy with one
# byte flipped in the middle. The size stays, so only a digest check can tell. A new file is
# renamed over the old one: storage copied with hard links keeps its original.
# No restart is needed: the registry configured by registry.sh caches no blob descriptors.
set -euo pipefail
root="${1:?usage: corrupt-blob.sh REGISTRY_ROOT DIGEST [REPLACEMENT]}"
digest="${2:?usage: corrupt-blob.sh REGISTRY_ROOT DIGEST [REPLACEMENT]}"
hex="${digest#sha256:}"
data="$root/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
[[ -f "$data" ]] || { echo "corrupt-blob: no blob $digest under $root" >&2; exit 1; }
if [[ -n "${3:-}" ]]; then
  [[ $(stat -c %s "$3") == $(stat -c %s "$data") ]] ||
    { echo "corrupt-blob: $3 is not the blob's size" >&2; exit 1; }
  cp "$3" "$data.new"
else
  python3 -c '
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0xFF
open(sys.argv[2], "wb").write(data)' "$data" "$data.new"
fi
mv "$data.new" "$data"
