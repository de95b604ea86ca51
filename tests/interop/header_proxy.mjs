// For clients that cannot send headers (the conformance runner): listens on 127.0.0.1, adds
// Hive's Authorization and X-Session-ID to every request and relays it, both bodies streamed,
// to the gateway's /mcp. Prints its URL on the first line of stdout.
//   node header_proxy.mjs SERVER_URL TOKEN SANDBOX
import http from "node:http";

const [server, token, sandbox] = process.argv.slice(2);
const upstream = new URL(server);
const proxy = http.createServer((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${token}`, "x-session-id": sandbox };
  delete headers.host;
  const out = http.request({ host: upstream.hostname, port: upstream.port, path: "/mcp",
                             method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  out.on("error", (e) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(out);
});
proxy.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${proxy.address().port}/mcp`));
