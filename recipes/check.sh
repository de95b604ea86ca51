#!/usr/bin/env bash
# Checks the recipes so none rots while no container engine runs here: every Dockerfile
# starts FROM, uses only known instructions, copies only files that exist (from the repository
# root or recipes/, as its header says), and the agent image answers the runtime's init
# command (/hive-agent --install-to). The MCP config is valid for the agent's parser.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "recipes: $*" >&2; exit 1; }
known="FROM RUN COPY ADD ENV ARG WORKDIR USER EXPOSE ENTRYPOINT CMD LABEL VOLUME SHELL HEALTHCHECK"
for f in "$root"/recipes/*.Dockerfile; do
  name="$(basename "$f")"
  context="$root/recipes"
  grep -q "^#   docker build .* \.$" "$f" && context="$root"
  first="$(grep -v '^\s*#' "$f" | grep -v '^\s*$' | head -1 | awk '{print $1}')"
  [[ "$first" == FROM ]] || fail "$name: first instruction is $first, not FROM"
  # Instructions (lines that are not comments or continuations).
  awk 'prev !~ /\\$/ && $0 !~ /^[[:space:]]*#/ && NF {print $1} {prev=$0}' "$f" | while read -r ins; do
    [[ " $known " == *" $ins "* ]] || fail "$name: unknown instruction '$ins'"
  done
  { grep -E '^COPY ' "$f" | grep -v -- '--from=' || true; } | while read -r _ rest; do
    read -ra parts <<<"$rest"
    for src in "${parts[@]:0:${#parts[@]}-1}"; do
      [[ -e "$context/$src" ]] || fail "$name: COPY source '$src' missing in $context"
    done
  done
done
grep -q 'COPY --from=build /src/build/bin/hive-agent /hive-agent' "$root/recipes/agent.Dockerfile" \
  || fail "agent.Dockerfile must put the agent at /hive-agent (the init container runs it there)"
grep -q '"/hive-agent", "--install-to"' "$root/server/runtime/kube/kube_runtime.cpp" \
  || fail "the runtime's init command no longer matches agent.Dockerfile"
agent="${1:-$root/build/bin/hive-agent}"
if [[ -x "$agent" ]]; then  # the init container's job, for real
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  "$agent" --install-to "$tmp" && [[ -x "$tmp/hive-agent" ]] || fail "--install-to did not install"
fi
node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1]));
  for (const [n,s] of Object.entries(c.mcpServers)) {
    if (!/^[A-Za-z0-9-]+$/.test(n) || typeof s.command !== "string") process.exit(1); }' \
  "$root/recipes/sandbox-mcp.json" || fail "sandbox-mcp.json is not a valid mcpServers file"
echo "recipes: $(ls "$root"/recipes/*.Dockerfile | wc -l) Dockerfiles checked"
