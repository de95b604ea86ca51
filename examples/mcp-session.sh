#!/usr/bin/env bash
# An MCP session from a shell script, on the wire: initialize through the gateway's /mcp
# (the sandbox picked by X-Session-ID), list the tools, call one, end the session.
#
#   examples/mcp-session.sh SANDBOX_ID [COMMAND]
#
# Needs curl and python3 (for reading JSON); HIVE_SERVER and HIVE_TOKEN as for hivectl.
set -euo pipefail

sandbox=$1
command=${2:-"uname -a"}
url=${HIVE_SERVER:-http://127.0.0.1:7070}/mcp
headers=(-H "Authorization: Bearer ${HIVE_TOKEN:?set HIVE_TOKEN}" -H "X-Session-ID: $sandbox"
         -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream")

mcp() {  # mcp BODY: one JSON-RPC message, answer on stdout
  curl -sS --fail-with-body "${headers[@]}" -H "Mcp-Session-Id: ${session:-}" \
    -H "MCP-Protocol-Version: 2025-11-25" -d "$1" "$url"
}

session=$(curl -sS --fail-with-body -D - -o /dev/null "${headers[@]}" \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp-session.sh","version":"1"}}}' \
  "$url" | tr -d '\r' | awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}')
[[ -n "$session" ]] || { echo "no Mcp-Session-Id in the answer" >&2; exit 1; }
mcp '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null

echo "tools:"
mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' |
  python3 -c 'import json, sys; [print("  " + t["name"]) for t in json.load(sys.stdin)["result"]["tools"]]'

call=$(python3 -c 'import json, sys; print(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
  "params": {"name": "run_command", "arguments": {"command": sys.argv[1]}}}))' "$command")
echo "run_command $command:"
mcp "$call" | python3 -c 'import json, sys; r = json.load(sys.stdin)["result"]; print(r["structuredContent"]["stdout"], end=""); sys.exit(1 if r.get("isError") else 0)'

curl -sS -X DELETE "${headers[@]}" -H "Mcp-Session-Id: $session" -o /dev/null "$url"
