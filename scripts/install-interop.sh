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

# Python clients: the seeds' style of client (requests) and schemathesis, in a venv of their
# own so the machine's Python is left alone.
venv=.venv
if [[ ! -f "$venv/.hive-installed" || requirements.txt -nt "$venv/.hive-installed" ]]; then
  echo "install-interop: pip install -r tests/interop/requirements.txt" >&2
  python3 -m venv "$venv" 2>/dev/null || {
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  }
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  touch "$venv/.hive-installed"
fi
