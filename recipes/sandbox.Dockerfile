# A general sandbox image (the default for image "host" on Kubernetes): Python, Node, git and
# common MCP servers, declared in /etc/hive/mcp.json so the agent bridges them.
#   docker build -f recipes/sandbox.Dockerfile -t ghcr.io/hive-sandbox/sandbox recipes
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-pip python3-venv nodejs npm git curl ca-certificates build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN npm install -g @modelcontextprotocol/server-filesystem @modelcontextprotocol/server-memory \
    && npm cache clean --force
COPY sandbox-mcp.json /etc/hive/mcp.json
RUN mkdir -p /workspace
WORKDIR /workspace
