#!/usr/bin/env bash
# Installs the Debian packages Hive needs to build and test, or those named as arguments (the
# other install scripts' lists). Idempotent: when nothing is missing it only runs dpkg-query
# and returns in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev
  libspdlog-dev catch2 libboost1.81-dev libboost-url1.81-dev libsqlite3-dev libssl-dev libedit-dev libarchive-dev
  clang-format clang-tidy clang-14 libclang-rt-14-dev util-linux procps iproute2 curl openssl slirp4netns tmux time zsh fish
)

if (($# > 0)); then packages=("$@"); fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "$(basename "${HIVE_INSTALLER:-$0}" .sh): installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
