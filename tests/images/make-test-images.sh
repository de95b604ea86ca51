#!/usr/bin/env bash
# Builds the images the image tests pull, with no container engine, into OUTDIR:
#
#   OUTDIR/oci/                 one OCI layout, a tag per image (index.json ref.name):
#     busybox-multi             3 layers: (1) static busybox + applet symlinks, /etc/passwd
#                               (root 0, app 1000 home /home/app), /etc/group, /data/keep,
#                               /data/gone, /opq/old; (2) whiteout /data/.wh.gone and opaque
#                               /opq/.wh..wh..opq with /opq/new; (3) /data/three.
#                               Env PATH=/bin:/usr/bin FOO=from-image, WorkingDir /data,
#                               User app, Entrypoint [/bin/sh -c],
#                               Cmd ["echo started > /tmp/started; sleep 1000"],
#                               label org.hive.test.image=busybox-multi
#     busybox-numeric           the same layers, User 1000:1000
#     busybox-root              the same layers, User ""
#     busybox-zstd              busybox-multi recompressed by skopeo (layers tar+zstd)
#     multiarch                 an index: linux/amd64 = busybox-multi, linux/arm64/v8 = a
#                               one-file image (it need not run)
#     noplatform                an index of linux/s390x and windows/amd64 only
#     evil-dotdot evil-abs evil-symlink evil-hardlink evil-hardlink-abs evil-device
#                               one hand-made layer each (build_layouts.py says what it holds)
#     bad-digest                intact; see bad-digest-layer.* below
#   OUTDIR/bad-digest/          a layout, tag "1", whose manifest names a layer digest its
#                               blob's bytes do not have
#   OUTDIR/bad-digest-layer.tar.gz, .digest
#                               the same-size swap corrupt-blob.sh puts into a registry's
#                               copy of bad/digest:1's layer, and that layer's digest
#   OUTDIR/busybox-save.tar     `docker save` format (docker-archive), test/busybox:multi
#   OUTDIR/busybox-oci.tar      oci-archive of busybox-multi, tag "multi"
#   OUTDIR/registry/            a registry storage root with everything push-test-images.sh
#                               pushes (Docker schema 2 copy included): tests copy it rather
#                               than push the images again
#
# Idempotent: when OUTDIR/.done holds the hash of these scripts it returns at once. Prints
# nothing on success but one line on stderr when it does build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: make-test-images.sh OUTDIR}"

key="$(cat "$here/make-test-images.sh" "$here/build_layouts.py" "$here/push-test-images.sh" \
           "$here/registry.sh" /bin/busybox | sha256sum | cut -c1-16)"
done_key() { cat "$out/.done" 2>/dev/null || true; }
[[ "$(done_key)" == "$key" ]] && exit 0

# Test binaries run two at a time, and both may want the images first.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
[[ "$(done_key)" == "$key" ]] && exit 0

echo "make-test-images: building the test images into $out" >&2
work="$out.partial"
rm -rf "$work"
mkdir -p "$work"
python3 "$here/build_layouts.py" "$work"

# umoci checks the layers mean what the tests expect: the whiteout and the opaque marker hide
# what they should, and nothing else.
rootless=()
[[ $(id -u) -eq 0 ]] || rootless=(--rootless)
umoci unpack "${rootless[@]}" --image "$work/oci:busybox-multi" "$work/check" >/dev/null
rootfs="$work/check/rootfs"
for present in bin/sh data/keep data/three opq/new etc/passwd; do
  [[ -e "$rootfs/$present" ]] || { echo "make-test-images: $present missing" >&2; exit 1; }
done
for absent in data/gone opq/old data/.wh.gone opq/.wh..wh..opq; do
  [[ ! -e "$rootfs/$absent" ]] || { echo "make-test-images: $absent present" >&2; exit 1; }
done
rm -rf "$work/check"

# skopeo 1.9 keeps gzip when the source is already compressed, whatever
# --dest-compress-format says; a decompressed copy in between makes it compress with zstd.
skopeo=(skopeo --insecure-policy copy -q)
"${skopeo[@]}" --dest-decompress "oci:$work/oci:busybox-multi" "dir:$work/plain"
"${skopeo[@]}" --dest-compress-format zstd "dir:$work/plain" "oci:$work/oci:busybox-zstd"
rm -rf "$work/plain"
grep -q 'tar+zstd' "$work/oci/blobs/sha256/$(python3 -c '
import json, sys
tags = json.load(open(sys.argv[1]))["manifests"]
print([t for t in tags if t["annotations"]["org.opencontainers.image.ref.name"] == "busybox-zstd"]
      [0]["digest"][7:])' "$work/oci/index.json")" ||
  { echo "make-test-images: busybox-zstd is not zstd" >&2; exit 1; }

"${skopeo[@]}" "oci:$work/oci:busybox-multi" "docker-archive:$work/busybox-save.tar:test/busybox:multi"
"${skopeo[@]}" "oci:$work/oci:busybox-multi" "oci-archive:$work/busybox-oci.tar:multi"

# A registry storage root holding every pushed image, filled through a real registry.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$here/registry.sh" start open "$port" "$work/run" >/dev/null 9>&-  # the lock stays ours
trap '"$here/registry.sh" stop "$work/run" >/dev/null 2>&1 || true' EXIT
"$here/push-test-images.sh" "$work" "127.0.0.1:$port"
"$here/registry.sh" stop "$work/run" >/dev/null
trap - EXIT
mv "$work/run/storage" "$work/registry"
rm -rf "$work/run"

echo "$key" >"$work/.done"
rm -rf "$out.old"
[[ -e "$out" ]] && mv "$out" "$out.old"
mv "$work" "$out"
rm -rf "$out.old"
