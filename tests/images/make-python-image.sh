#!/usr/bin/env bash
# Builds the Python test image with no container engine, into OUTDIR:
#
#   OUTDIR/python-oci.tar   an OCI archive of test/python:3: Debian bookworm (minbase) with
#                           python3 and pip, from Debian's mirror by mmdebstrap, as one layer;
#                           User root, WorkingDir /, Cmd ["python3"]
#
# About 250 MB; the first build downloads ~100 packages (30-60 s). Idempotent: when
# OUTDIR/.done holds this script's hash it returns at once, printing nothing.
set -euo pipefail
out="${1:?usage: make-python-image.sh OUTDIR}"
key="$(sha256sum "$0" | cut -c1-16)"
if [[ -f "$out/.done" && "$(cat "$out/.done")" == "$key" ]]; then exit 0; fi
echo "building the Python test image into $out (mmdebstrap from Debian's mirror)" >&2
mkdir -p "$out"
rm -f "$out/.done" "$out/python-oci.tar"
work="$(mktemp -d /tmp/hive-python-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mmdebstrap --quiet --variant=minbase --include=python3,python3-pip --mode=root --format=tar \
  bookworm "$work/root.tar"
umoci init --layout "$work/layout"
umoci new --image "$work/layout:3"
umoci unpack --image "$work/layout:3" "$work/bundle"
tar -C "$work/bundle/rootfs" -xf "$work/root.tar"
rm "$work/root.tar"
umoci repack --image "$work/layout:3" "$work/bundle"
umoci config --image "$work/layout:3" --config.workingdir / --config.cmd python3 \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env LANG=C.UTF-8
skopeo copy --quiet "oci:$work/layout:3" "oci-archive:$out/python-oci.tar:test/python:3"
echo "$key" > "$out/.done"
