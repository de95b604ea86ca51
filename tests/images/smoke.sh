#!/usr/bin/env bash
# Checks the image-test fixtures by hand, with curl only: each registry mode answers as the
# image tests assume. Not part of ctest (the image tests themselves exercise all this).
#   tests/images/smoke.sh [IMAGES_DIR]   (default ~/.cache/hive/test-images)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
images="${1:-$HOME/.cache/hive/test-images}"
"$here/make-test-images.sh" "$images" || exit 1
accept='Accept: application/vnd.oci.image.manifest.v1+json'
passed=0 failed=0
run_dir="$(mktemp -d)"
trap 'for m in open basic token; do "$here/registry.sh" stop "$run_dir/$m"; done; rm -rf "$run_dir"' EXIT

check() {  # what, wanted, got
  if [[ "$3" == "$2" ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $1: wanted '$2', got '$3'" >&2; fi
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() {  # mode: prints host:port
  mkdir -p "$run_dir/$1" && cp -a "$images/registry" "$run_dir/$1/storage"
  "$here/registry.sh" start "$1" "$(port)" "$run_dir/$1" "$(port)"
}

open="$(start open)" || exit 1
check "open: manifest" 200 "$(code -H "$accept" "http://$open/v2/test/busybox/manifests/multi")"
layer="$(curl -s -H "$accept" "http://$open/v2/test/busybox/manifests/multi" |
         python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][0]["digest"])')"
check "open: blob" 200 "$(code "http://$open/v2/test/busybox/blobs/$layer")"
check "open: blob GET logged" 1 "$(grep -c "\"GET /v2/test/busybox/blobs/$layer " "$run_dir/open/access.log")"
bad="$(cat "$images/bad-digest-layer.digest")"
"$here/corrupt-blob.sh" "$run_dir/open/storage" "$bad" "$images/bad-digest-layer.tar.gz"
served="$(curl -s "http://$open/v2/bad/digest/blobs/$bad" | sha256sum | cut -d' ' -f1)"
check "open: corrupted blob is served with other bytes" yes "$([[ "sha256:$served" != "$bad" ]] && echo yes)"

basic="$(start basic)" || exit 1
check "basic: no credentials" 401 "$(code -H "$accept" "http://$basic/v2/test/busybox/manifests/multi")"
check "basic: hive/s3cret" 200 "$(code -u hive:s3cret -H "$accept" "http://$basic/v2/test/busybox/manifests/multi")"

token="$(start token)" || exit 1
challenge="$(curl -s -D - -o /dev/null -H "$accept" "http://$token/v2/test/busybox/manifests/multi" |
             tr -d '\r' | sed -n 's/^Www-Authenticate: //Ip')"
realm="$(sed -E 's/.*realm="([^"]*)".*/\1/' <<<"$challenge")"
check "token: challenge" "Bearer realm=\"$realm\",service=\"hive-test-registry\",scope=\"repository:test/busybox:pull\"" "$challenge"
jwt() { curl -s "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'; }
t="$(jwt -u hive:s3cret "$realm?service=hive-test-registry&scope=repository:test/busybox:pull")"
check "token: hive's token pulls" 200 "$(code -H "Authorization: Bearer $t" -H "$accept" "http://$token/v2/test/busybox/manifests/multi")"
t="$(jwt "$realm?service=hive-test-registry&scope=repository:test/busybox:pull")"
check "token: anonymous token refused" 401 "$(code -H "Authorization: Bearer $t" -H "$accept" "http://$token/v2/test/busybox/manifests/multi")"
t="$(jwt "$realm?service=hive-test-registry&scope=repository:public/busybox:pull")"
check "token: anonymous pull of public/" 200 "$(code -H "Authorization: Bearer $t" -H "$accept" "http://$token/v2/public/busybox/manifests/multi")"
check "token: wrong password" 401 "$(code -u hive:nope "$realm?service=hive-test-registry&scope=repository:test/busybox:pull")"

echo "$passed passed, $failed failed"
((failed == 0))
