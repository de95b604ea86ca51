// The official TypeScript SDK's client against Hive's gateway: connect through /mcp (routed by
// X-Session-ID), list every page of tools, call tools (with progress when asked), terminate
// the session. Prints one JSON summary on stdout; exits non-zero on any failure.
//   node sdk_client.mjs SERVER_URL TOKEN SANDBOX [TOOL ARGS_JSON [progress]]...
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [server, token, sandbox, ...calls] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(`${server}/mcp`), {
  requestInit: { headers: { Authorization: `Bearer ${token}`, "X-Session-ID": sandbox } },
});
const client = new Client({ name: "hive-interop", version: "1.0.0" });
await client.connect(transport);
const summary = { sessionId: transport.sessionId, protocolVersion: transport.protocolVersion,
                  server: client.getServerVersion(), tools: [], pages: 0, calls: [] };
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  summary.pages += 1;
  summary.tools.push(...page.tools.map((t) => t.name));
  cursor = page.nextCursor;
} while (cursor);
for (let i = 0; i + 1 < calls.length; i += 2) {
  const wantsProgress = calls[i + 2] === "progress";
  const progress = [];
  const options = wantsProgress ? { onprogress: (p) => progress.push(p), timeout: 60000 } : { timeout: 60000 };
  const result = await client.callTool({ name: calls[i], arguments: JSON.parse(calls[i + 1]) },
                                       undefined, options);
  summary.calls.push({ tool: calls[i], result, progress });
  if (wantsProgress) i += 1;
}
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(summary));
