#!/usr/bin/env bash
# make test: install what is missing, build twice (release, then ASan+UBSan), run every suite,
# and print what each step and each suite took, so a suite that grows shows in every run.
# Stops at the first failing step, as make would; the table is printed either way.
set -uo pipefail
cd "$(dirname "$0")/.."

steps=() seconds=()
started=$SECONDS

summary() {
  echo
  echo "make test: what each step took"
  for i in "${!steps[@]}"; do
    printf '  %-34s %6d s\n' "${steps[$i]}" "${seconds[$i]}"
  done
  for preset in default asan; do
    [[ -f build-logs/ctest-$preset.log ]] || continue
    # ctest's own lines: "4/9 Test #4: integration ......   Passed  185.78 sec"
    # The result may be several words ("Subprocess aborted***Exception:"), so it comes last.
    sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) [ .*]+([A-Za-z*]+[^0-9]*) +([0-9.]+) sec$/\1 \3 \2/p' \
      build-logs/ctest-$preset.log |
      while read -r name secs result; do
        printf '    %-8s %-22s %8.1f s  %s\n' "$preset" "$name" "$secs" "${result//\*/ }"
      done
  done
  printf '  %-34s %6d s (%d min)\n' "total" $((SECONDS - started)) $(((SECONDS - started) / 60))
}
trap summary EXIT

step() {
  local name=$1
  shift
  local t0=$SECONDS
  "$@"
  local rc=$?
  steps+=("$name") seconds+=($((SECONDS - t0)))
  ((rc == 0)) || exit "$rc"
}

mkdir -p build-logs
step "install what is missing" make --no-print-directory deps interop-deps k8s-deps image-test-deps
step "release build" make --no-print-directory build
step "release suites" bash -c 'set -o pipefail; ctest --preset default 2>&1 | tee build-logs/ctest-default.log'
step "ASan+UBSan build" make --no-print-directory build-asan
step "ASan+UBSan suites" bash -c 'set -o pipefail
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan 2>&1 | tee build-logs/ctest-asan.log'
