#!/usr/bin/env bash
# Builds the control plane the kubernetes runtime is tested against: kube-apiserver,
# kube-scheduler, kubectl and etcd from cluster/go.mod, kwok from its own module — all from the
# Go module proxy. The binaries are cached outside the build tree, keyed by the module files and
# the kwok version, so only the first run on a machine pays for the build (minutes on 2 cores).
# Prints the directory holding the binaries.
set -euo pipefail

KWOK_VERSION=v0.8.0
here="$(cd "$(dirname "$0")" && pwd)"
key="$(cat "$here/cluster/go.mod" "$here/cluster/go.sum" "$here/cluster/etcd/main.go" \
       <(echo "$KWOK_VERSION") | sha256sum | cut -c1-16)"
cache="${HIVE_K8S_CACHE:-$HOME/.cache/hive/k8s}/$key"
bin="$cache/bin"

if [[ -x "$bin/kube-apiserver" && -x "$bin/kube-scheduler" && -x "$bin/kubectl" \
      && -x "$bin/etcd" && -x "$bin/kwok" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-cluster: Go is needed (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$bin.partial"
echo "build-cluster: building Kubernetes v1.36 control plane and kwok $KWOK_VERSION" \
     "into $cache (first run only; several minutes)" >&2
export CGO_ENABLED=0 GOFLAGS=-trimpath
(
  cd "$here/cluster"
  for cmd in kube-apiserver kube-scheduler kubectl; do
    echo "build-cluster: $cmd" >&2
    go build -ldflags=-s -o "$bin.partial/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
  echo "build-cluster: etcd" >&2
  go build -ldflags=-s -o "$bin.partial/etcd" ./etcd
)
echo "build-cluster: kwok" >&2
GOBIN="$bin.partial" go install -ldflags=-s "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
rm -rf "$bin" && mv "$bin.partial" "$bin"
echo "$bin"
