#!/usr/bin/env bash
# Builds tests/images/token-issuer once per machine (standard library only: no download),
# cached under ~/.cache/hive/token-issuer keyed by its source. Prints the binary's path.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)/token-issuer"
key="$(cat "$src/go.mod" "$src/main.go" | sha256sum | cut -c1-16)"
cache="${HIVE_TOKEN_ISSUER_CACHE:-$HOME/.cache/hive/token-issuer}/$key"
if [[ -x "$cache/token-issuer" ]]; then
  echo "$cache/token-issuer"
  exit 0
fi
go=go
command -v go >/dev/null || go=/usr/local/go/bin/go
[[ -x "$(command -v "$go")" ]] || { echo "build-token-issuer: Go is needed" >&2; exit 1; }
mkdir -p "$cache"
echo "build-token-issuer: building into $cache (first run only)" >&2
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-trimpath "$go" build -ldflags=-s \
   -o "$cache/token-issuer.partial" .)
mv "$cache/token-issuer.partial" "$cache/token-issuer"
echo "$cache/token-issuer"
