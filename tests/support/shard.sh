#!/usr/bin/env bash
# Runs one shard of a Catch2 suite: shard.sh BIN INDEX COUNT [TEST-SPEC...] runs every
# COUNT-th test case the spec selects, starting with the INDEX-th (1-based). ctest runs the
# shards side by side, so a suite that mostly waits on sandboxes takes half the wall time.
# Catch2 v2 has no --shard of its own; -f takes the names, with its special characters escaped.
set -uo pipefail
bin=$1 index=$2 count=$3
shift 3
names=$(mktemp)
trap 'rm -f "$names"' EXIT
# Listing exits with the number of names (Catch2 v2), so its status says nothing.
"$bin" --list-test-names-only "$@" |
  awk -v n="$count" -v i="$index" 'NF && (++k - 1) % n == i - 1' |
  sed 's/[],[\\*]/\\&/g' >"$names"
if [[ ! -s $names ]]; then
  echo "shard.sh: shard $index of $count of $bin ${*:-} selects no test case" >&2
  exit 1
fi
"$bin" -f "$names"
