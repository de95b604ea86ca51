# A client written the way the seeds' (Ash / StationHive) README uses their control plane:
# python requests, the control plane's URL from the environment, no credentials of its own.
# Against Hive it runs unchanged; the URL carries the token as userinfo
# (CP_URL=http://hive:TOKEN@127.0.0.1:7070), which requests sends as Basic auth.
import json
import os

import requests

CP_URL = os.environ["CP_URL"]

url = f"{CP_URL}/spawn"
headers = {"Content-Type": "application/json"}
data = {
    "image": "sandbox:general-0.1",
    "ports": [{"container_port": 3000}],
    "expose": "ClusterIP",
    "replicas": 1,
    "env": {"GREETING": "hello from the seed client"},
    "resources": {"requests": {"cpu": "250m", "memory": "128Mi"},
                  "limits": {"cpu": "500m", "memory": "256Mi"}},
}

response = requests.post(url, json=data, headers=headers)
print("Status Code:", response.status_code)
print("Response Body:", response.text)
sandbox = response.json()
uuid = sandbox["uuid"]

# MCP through the gateway, routed by X-Session-ID.
mcp_headers = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream",
               "X-Session-ID": uuid}


def mcp(message, session=None):
    h = dict(mcp_headers)
    if session:
        h["Mcp-Session-Id"] = session
    r = requests.post(f"{CP_URL}/mcp", json=message, headers=h)
    return r


init = mcp({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-03-26", "capabilities": {},
                       "clientInfo": {"name": "seed-client", "version": "0.1"}}})
print("Initialize:", init.status_code, init.json()["result"]["serverInfo"]["name"])
session = init.headers.get("Mcp-Session-Id")
mcp({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
tools = mcp({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, session).json()
print("Tools:", ",".join(sorted(t["name"] for t in tools["result"]["tools"])))
call = mcp({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "run_command",
                       "arguments": {"command": "echo $GREETING"}}}, session).json()
print("Call:", json.dumps(call["result"]["structuredContent"]["stdout"]))

response = requests.delete(f"{CP_URL}/deprovision/{uuid}")
print("Deprovision:", response.status_code, response.text)
response = requests.delete(f"{CP_URL}/deprovision/{uuid}")
print("Deprovision again:", response.status_code, response.text)

for i in range(2):
    requests.post(f"{CP_URL}/spawn", json={"image": "sandbox:general-0.1"}, headers=headers)
response = requests.delete(f"{CP_URL}/deprovision-all")
print("Deprovision all:", response.status_code, response.json()["count"])
