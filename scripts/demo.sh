#!/usr/bin/env bash
# make demo: a local hive-server, one sandbox, a command in it, the list, and teardown.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
state=$(mktemp -d /tmp/hive-demo-XXXXXX)
log="$state/server.log"

"$bin/hive-server" --listen 127.0.0.1:0 --state-dir "$state" --client-config none 2>"$log" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
for _ in $(seq 200); do [[ -s "$state/address" ]] && break; sleep 0.05; done
[[ -s "$state/address" ]] || { echo "hive-server did not start:"; cat "$log"; exit 1; }
export HIVE_SERVER="http://$(cat "$state/address")" HIVE_TOKEN="$(cat "$state/token")"

export PATH="$PWD/$bin:$PATH"
bold=$'\033[1m' plain=$'\033[0m'
[[ -t 1 ]] || bold='' plain=''
# Shows a command line as one would type it, then runs it.
step() {
  printf '\n%s$ %s%s\n' "$bold" "$1" "$plain"
  eval "$1"
}
echo "hive-server is listening on $HIVE_SERVER (state in $state)"
printf '\n%s$ ID=$(hivectl spawn --image host --name demo -l demo=true)%s\n' "$bold" "$plain"
ID=$(hivectl spawn --image host --name demo -l demo=true)
echo "$ID"
step 'hivectl exec $ID -- sh -c '\''echo "hello from $(hostname): $(ps -e | wc -l) processes visible"'\'''
step 'hivectl exec $ID -- python3 -c '\''import platform; print("python", platform.python_version())'\'''
step 'hivectl list'
step 'hivectl deprovision $ID'
step 'hivectl list'
