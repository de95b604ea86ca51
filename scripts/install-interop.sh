#!/usr/bin/env bash
# Installs the third-party MCP clients and servers the suite runs against Hive (versions
# pinned in tests/interop/package-lock.json and tests/interop/everything/package-lock.json)
# from the npm registry. Idempotent: an install whose lock file has not changed is skipped.
set -euo pipefail
cd "$(dirname "$0")/../tests/interop"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-interop: installing Node.js and npm from Debian" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq nodejs npm >/dev/null
fi

for dir in . everything; do
  stamp="$dir/node_modules/.hive-installed"
  if [[ -f "$stamp" && "$stamp" -nt "$dir/package-lock.json" ]]; then continue; fi
  echo "install-interop: npm ci in tests/interop/$dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$stamp"
done
