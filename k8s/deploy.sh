#!/usr/bin/env bash
# Deploys Hive into the current kubectl context: makes the hive-server-keys Secret (admin
# token, agent key) unless it exists, applies the kustomization, waits for the rollout, and
# prints how to reach the server.
#   k8s/deploy.sh [--context CTX]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kubectl=(kubectl "$@")
ns=hive

"${kubectl[@]}" apply -f "$here/namespace.yaml" >/dev/null
if ! "${kubectl[@]}" -n "$ns" get secret hive-server-keys >/dev/null 2>&1; then
  token="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  "${kubectl[@]}" -n "$ns" create secret generic hive-server-keys \
    --from-literal=token="$token" --from-literal=agent-key="$key" >/dev/null
  echo "created Secret $ns/hive-server-keys (admin token and agent key)"
fi
"${kubectl[@]}" apply -k "$here"
echo "waiting for the rollout..."
"${kubectl[@]}" -n "$ns" rollout status deployment/hive-server --timeout=300s

token="$("${kubectl[@]}" -n "$ns" get secret hive-server-keys -o jsonpath='{.data.token}' | base64 -d)"
cat <<MSG

Hive is running in namespace $ns. To reach it from here:
  kubectl -n $ns port-forward svc/hive-server 7070:7070 &
  hivectl config set-context k8s --server http://127.0.0.1:7070 --token $token
  hivectl config use-context k8s
  hivectl spawn --image python:3.12-slim
MSG
