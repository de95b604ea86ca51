#!/usr/bin/env bash
# Pushes the layouts make-test-images.sh built in OUTDIR into a running registry (plain HTTP).
#   push-test-images.sh OUTDIR HOST:PORT [USER:PASSWORD]
# Repositories and tags (source tag in OUTDIR/oci in brackets):
#   test/busybox:multi :numeric :root    [busybox-multi, -numeric, -root]
#   test/busybox-zstd:multi              [busybox-zstd]
#   test/busybox-v2s2:multi              [busybox-multi] as a Docker schema-2 manifest
#   test/multiarch:1 test/noplatform:1   [multiarch, noplatform] indexes, every instance
#   evil/dotdot:1 evil/abs:1 evil/symlink:1 evil/hardlink:1 evil/device:1
#   evil/hardlink:abs                    [evil-hardlink-abs]
#   evil/etclink:1                       [evil-etclink] busybox with /etc, /workspace -> host
#   bad/digest:1                         [bad-digest] intact; corrupt-blob.sh breaks it
#   public/busybox:multi                 [busybox-multi] anonymous pull under token auth
# All but the v2s2 copy keep the layout's digests. Idempotent: blobs a registry has are not
# sent again (skopeo asks first), so a second run only re-puts the manifests.
set -euo pipefail
out="${1:?usage: push-test-images.sh OUTDIR HOST:PORT [USER:PASSWORD]}"
registry="${2:?usage: push-test-images.sh OUTDIR HOST:PORT [USER:PASSWORD]}"
creds=()
[[ -n "${3:-}" ]] && creds=(--dest-creds "$3")

pushes=(
  "busybox-multi test/busybox:multi"
  "busybox-numeric test/busybox:numeric"
  "busybox-root test/busybox:root"
  "busybox-zstd test/busybox-zstd:multi"
  "busybox-multi test/busybox-v2s2:multi --format v2s2"
  "multiarch test/multiarch:1 --all"
  "noplatform test/noplatform:1 --all"
  "evil-dotdot evil/dotdot:1"
  "evil-abs evil/abs:1"
  "evil-symlink evil/symlink:1"
  "evil-hardlink evil/hardlink:1"
  "evil-hardlink-abs evil/hardlink:abs"
  "evil-device evil/device:1"
  "evil-etclink evil/etclink:1"
  "bad-digest bad/digest:1"
  "busybox-multi public/busybox:multi"
)

# An auth file of our own, empty: never the user's, and nothing is written to it.
auth_file="$(mktemp)"
trap 'rm -f "$auth_file"' EXIT
echo '{"auths": {}}' >"$auth_file"

push() {  # source-tag destination [skopeo flags]
  local src="$1" dest="$2"
  shift 2
  local keep=(--preserve-digests)
  [[ " $* " == *" --format "* ]] && keep=()
  REGISTRY_AUTH_FILE="$auth_file" skopeo --insecure-policy copy -q --dest-tls-verify=false \
    "${keep[@]}" "${creds[@]}" "$@" "oci:$out/oci:$src" "docker://$registry/$dest"
}

# The busybox layer first, alone, so the parallel copies after it find it there.
push busybox-multi test/busybox:multi
pids=()
for line in "${pushes[@]:1}"; do
  # shellcheck disable=SC2086  # the line is words on purpose
  push $line &
  pids+=($!)
  # Two at a time: this machine has two cores, and the tests run beside this.
  if ((${#pids[@]} >= 2)); then
    wait "${pids[0]}" || { echo "push-test-images: a push failed" >&2; exit 1; }
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || { echo "push-test-images: a push failed" >&2; exit 1; }
done
