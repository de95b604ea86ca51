#!/usr/bin/env bash
# A CI job as you would write it: run a project's tests in a fresh sandbox and bring the
# results back. The sandbox goes away however the job ends (the trap), and the job exits as
# the tests did.
#
#   examples/ci.sh [PROJECT_DIR]      (default: examples/ci-project)
#
# Needs hivectl on PATH and a server it can reach (a context, or HIVE_SERVER/HIVE_TOKEN).
set -euo pipefail

project=${1:-"$(dirname "$0")/ci-project"}
results=${RESULTS_DIR:-.}/results.txt

id=$(hivectl spawn -l job=ci -l commit="${CI_COMMIT:-local}" --memory 1Gi --ttl 900 -o name)
trap 'hivectl deprovision "$id" >/dev/null' EXIT
echo "ci: running in sandbox $id"

hivectl cp "$project" "$id:/workspace/src"
status=0
hivectl exec -w /workspace/src "$id" -- sh -c './run-tests.sh > /workspace/results.txt 2>&1' \
  || status=$?
hivectl cp "$id:/workspace/results.txt" "$results"

cat "$results"
echo "ci: tests exited $status"
exit "$status"
