#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time from the corpus in
# tests/fuzz/corpus/<target> (inputs found on the way go to a scratch copy, not the repo).
# Prints per target: executions, coverage, corpus size; fails on any crash, leak or UB.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-20}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(http_request json_requests selector paths mcp_message)
build=${HIVE_FUZZ_BUILD:-$root/build/fuzz}

if ! command -v clang++-14 >/dev/null || [[ ! -d /usr/lib/llvm-14/lib/clang ]]; then
  echo "fuzz: clang-14 with its runtimes is missing; 'make deps' installs it" >&2
  exit 1
fi
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" >/dev/null

failed=0
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  log="$build/fuzz_$target.log"
  if "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/crash-$target-" \
    "$scratch" "$here/corpus/$target" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corpus=$(find "$scratch" "$here/corpus/$target" -type f | wc -l)
  printf 'fuzz %-14s %-6s %9s runs in %ss  cov %5s  ft %6s  corpus %5s\n' \
    "$target" "$status" "$runs" "$seconds" "$cov" "$ft" "$corpus"
  if [[ $status == FAILED ]]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
  fi
  rm -rf "$scratch"
done
exit $failed
