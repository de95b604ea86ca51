#!/bin/sh
# The project's own test script: build, then check a few inputs. Exits non-zero on a failure.
set -u
cc -O2 -o wordcount wordcount.c || exit 2
passed=0 failed=0
check() {  # check INPUT EXPECTED
  got=$(printf '%s' "$1" | ./wordcount)
  if [ "$got" = "$2" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: '$1' gave $got, want $2"; fi
}
check "" 0
check "one" 1
check "two words" 2
check "  spaced   out  words " 3
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
