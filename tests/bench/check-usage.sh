#!/usr/bin/env bash
# check-usage.sh BENCH...: each benchmark answers --help with its flags and exit 0, and refuses
# an unknown flag or a bad value with a message and a non-zero exit, before it starts anything
# (a typo once ran the whole benchmark with the defaults).
set -uo pipefail
failed=0
fail() {
  echo "check-usage: $*" >&2
  failed=1
}
for bench in "$@"; do
  name=$(basename "$bench")
  help=$(timeout 10 "$bench" --help 2>&1)
  rc=$?
  ((rc == 0)) || fail "$name --help exited $rc"
  # The first flag --help lists besides itself: there must be one.
  flag=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | grep -v -- '--help' | head -1)
  [[ $help == *"$name"* && -n $flag ]] || fail "$name --help does not describe its flags: $help"
  err=$(timeout 10 "$bench" --no-such-flag 2>&1 >/dev/null)
  rc=$?
  ((rc != 0 && rc != 124)) || fail "$name --no-such-flag exited $rc"
  [[ $err == *"--no-such-flag"* ]] || fail "$name --no-such-flag did not name the flag: $err"
  [[ -n $flag ]] || continue
  # That flag, given a value no count can take.
  err=$(timeout 10 "$bench" "$flag" -3 2>&1 >/dev/null)
  rc=$?
  ((rc != 0 && rc != 124)) || fail "$name $flag -3 exited $rc"
  [[ $err == *"$flag"* ]] || fail "$name $flag -3 did not name the flag: $err"
done
((failed == 0)) && echo "check-usage: $# benchmarks answer --help and refuse bad flags"
exit "$failed"
