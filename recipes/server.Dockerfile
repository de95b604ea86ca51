# hive-server for the kubernetes runtime (k8s/deployment.yaml). Build from the repository root:
#   docker build -f recipes/server.Dockerfile -t ghcr.io/hive-sandbox/hive-server .
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN apt-get update && scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset default && cmake --build --preset default --target hive-server hivectl

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libcurl4 libyaml-cpp0.7 libsqlite3-0 libspdlog1.10 libfmt9 libssl3 libedit2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/hive-server /src/build/bin/hivectl /usr/local/bin/
USER 65532:65532
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/hive-server"]
