#!/usr/bin/env bash
# Installs the Debian packages the image tests need: a real registry (distribution 2.8), tools to
# build and copy OCI images without a container engine, a static busybox for their root
# filesystems, htpasswd for the basic-auth registry, python3 for the hand-crafted hostile layers.
# Idempotent like install-deps.sh: when nothing is missing it only runs dpkg-query.
set -euo pipefail

packages=(docker-registry umoci skopeo busybox-static apache2-utils python3 zstd curl)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-image-test-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
