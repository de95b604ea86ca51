#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the kubernetes runtime's tests: etcd,
# kube-apiserver (RBAC, service-account signing key, an admin token), kube-scheduler and kwok
# standing in for kubelets on fake nodes (Pods get Ready and an IP; no container runs).
#   cluster.sh up DIR [NODES]   start everything in DIR; writes DIR/admin.kubeconfig, DIR/env
#   cluster.sh down DIR         stop what `up` started in DIR
#   cluster.sh restart-apiserver DIR [SECONDS]   stop kube-apiserver, wait, start it again
#                                              (same port, same etcd)
# Binaries come from build-cluster.sh (built once per machine, then cached).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:?usage: cluster.sh up|down|restart-apiserver DIR [NODES]}"
dir="${2:?usage: cluster.sh up|down|restart-apiserver DIR [NODES]}"

free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "cluster: no free port" >&2; return 1
}

start() {  # name, command...: runs it in the background with its log and pid in DIR
  local name="$1"; shift
  "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

stop() {
  local pidfile="$dir/$1.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

wait_for() {  # what, seconds, command...
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "cluster: $what did not come up in ${seconds}s; its log:" >&2
  tail -20 "$dir/$what.log" >&2 || true
  return 1
}

start_apiserver() {
  # shellcheck source=/dev/null
  source "$dir/env"
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --cert-dir="$dir/certs" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$dir/sa.pub" \
    --service-account-signing-key-file="$dir/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --authorization-mode=RBAC \
    --token-auth-file="$dir/tokens.csv" \
    --enable-priority-and-fairness=false \
    --watch-cache=true \
    --audit-policy-file="$here/audit-policy.yaml" \
    --audit-log-path="$dir/audit.log" --audit-log-format=json
  wait_for kube-apiserver 60 curl -fsk -H "Authorization: Bearer $ADMIN_TOKEN" \
    "https://127.0.0.1:$API_PORT/readyz"
}

up() {
  local nodes="${1:-4}"
  mkdir -p "$dir/certs" "$dir/etcd"
  BIN="$("$here/build-cluster.sh")"
  local admin_token; admin_token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  cat >"$dir/env" <<ENV
BIN=$BIN
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
ADMIN_TOKEN=$admin_token
ENV
  # shellcheck source=/dev/null
  source "$dir/env"
  echo "$admin_token,hive-test-admin,1,system:masters" >"$dir/tokens.csv"
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null

  start etcd "$BIN/etcd" --data-dir="$dir/etcd" --name=hive-test \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="hive-test=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync
  wait_for etcd 30 curl -fs "http://127.0.0.1:$ETCD_PORT/health"
  start_apiserver

  cat >"$dir/admin.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$API_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $admin_token
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
KC
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$dir/admin.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
  start kwok "$BIN/kwok" --kubeconfig="$dir/admin.kubeconfig" --config="$here/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-label-selector=type=kwok \
    --cidr=127.244.0.0/16 --node-ip=127.0.0.1
  for i in $(seq "$nodes"); do
    "$BIN/kubectl" --kubeconfig="$dir/admin.kubeconfig" apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i}
  annotations: {kwok.x-k8s.io/node: fake}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "1000"}
  capacity: {cpu: "64", memory: 256Gi, pods: "1000"}
NODE
  done
  wait_for kwok 60 bash -c "'$BIN/kubectl' --kubeconfig='$dir/admin.kubeconfig' get nodes \
    -o jsonpath='{.items[*].status.conditions[?(@.type==\"Ready\")].status}' | grep -q True"
  # The API server taints new nodes not-ready; kube-controller-manager, which would lift the
  # taint once they report Ready, does not run here.
  "$BIN/kubectl" --kubeconfig="$dir/admin.kubeconfig" taint nodes --all \
    node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
}

case "$cmd" in
  up) up "${3:-4}" ;;
  down) for p in kwok kube-scheduler kube-apiserver etcd; do stop "$p"; done ;;
  restart-apiserver) stop kube-apiserver; sleep "${3:-0}"; start_apiserver ;;
  *) echo "cluster.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
