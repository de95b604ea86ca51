#!/usr/bin/env bash
# Installs the Debian packages the image tests need: a real registry (distribution 2.8), tools to
# build and copy OCI images without a container engine, a static busybox for their root
# filesystems, htpasswd for the basic-auth registry, python3 for the hand-crafted hostile layers,
# mmdebstrap for the Debian root of the Python test image.
# install-deps.sh does the installing: when nothing is missing it only runs dpkg-query.
set -euo pipefail

packages=(docker-registry umoci skopeo busybox-static apache2-utils python3 zstd curl mmdebstrap)

HIVE_INSTALLER="$0" exec "$(dirname "$0")/install-deps.sh" "${packages[@]}"
