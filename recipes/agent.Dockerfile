# The agent image: only the static hive-agent. Every sandbox Pod's init container runs
# `/hive-agent --install-to /hive` to copy it into the Pod (k8s runtime, docs/runtimes.md).
#   docker build -f recipes/agent.Dockerfile -t ghcr.io/hive-sandbox/hive-agent .
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN apt-get update && scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset default && cmake --build --preset default --target hive-agent \
    && strip build/bin/hive-agent

FROM scratch
COPY --from=build /src/build/bin/hive-agent /hive-agent
ENTRYPOINT ["/hive-agent"]
