# The smallest useful sandbox: a shell and coreutils (busybox). The agent brings everything
# else it needs (it is static).
#   docker build -f recipes/minimal.Dockerfile -t ghcr.io/hive-sandbox/minimal recipes
FROM busybox:1.36-musl
RUN mkdir -p /workspace
WORKDIR /workspace
