#!/usr/bin/env bash
# A real registry (Debian's docker-registry, CNCF distribution 2.8) on loopback for the image
# tests, storing in DIR/storage (whatever is there already is served: copy a seeded storage
# root in first to skip pushing).
#   registry.sh start open|basic|token PORT DIR [ISSUER_PORT]
#       open   anyone may pull and push
#       basic  htpasswd auth, user hive password s3cret
#       token  Docker token auth; token-issuer (tests/images/token-issuer) on ISSUER_PORT
#              (default PORT+1) grants what hive/s3cret asks for, anonymous pull of public/*
#              and nothing else
#   registry.sh stop [KIND PORT] DIR    stop what start started in DIR, waiting until it is gone
# Files in DIR: config.yml; access.log (the registry's stdout: one Apache combined-format line
# per request, "GET /v2/<repo>/blobs/sha256:<hex> HTTP/1.1" 200 ...); registry.log (its
# stderr); issuer.log, issuer.crt; *.pid (each daemon leads its own process group).
# HIVE_REGISTRY_OWNER=PID (optional): stop everything and remove DIR when that process ends.
# Waits until /v2/ answers (20 s at most); on failure prints the registry's log and exits 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
usage="usage: registry.sh start open|basic|token PORT DIR [ISSUER_PORT] | stop DIR"
cmd="${1:?$usage}"

alive() {  # pid: running, not a zombie (our daemons' parent is init, which reaps them late)
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ "$state" != Z* ]]
}

stop() {  # name: SIGTERM to its process group, SIGKILL after 5 s
  local pidfile="$dir/$1.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid="$(cat "$pidfile")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

daemon() {  # name, command...: in its own session, output to DIR/name.log
  local name="$1"; shift
  setsid "$@" </dev/null >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

wait_for() {  # name, url: until it answers HTTP at all (a 401 is an answer)
  local code
  for _ in $(seq 200); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$2" || true)"
    [[ "$code" != 000 ]] && return 0
    alive "$(cat "$dir/$1.pid")" || break
    sleep 0.1
  done
  echo "registry.sh: $1 did not answer $2; its log:" >&2
  tail -30 "$dir/$1.log" >&2 || true
  return 1
}

if [[ "$cmd" == stop ]]; then
  dir="${*: -1}"
  stop registry
  stop issuer
  stop watcher
  exit 0
fi
[[ "$cmd" == start ]] || { echo "$usage" >&2; exit 2; }
kind="${2:?$usage}" port="${3:?$usage}" dir="${4:?$usage}" issuer_port="${5:-$(($3 + 1))}"
mkdir -p "$dir/storage"
dir="$(cd "$dir" && pwd)"

# The access log goes to stdout and the application log to stderr: split, the access log is
# one line per request and easy to count.
auth=""
case "$kind" in
  open) ;;
  basic)
    htpasswd -Bbn hive s3cret >"$dir/htpasswd"
    auth="auth:
  htpasswd:
    realm: hive-test
    path: $dir/htpasswd"
    ;;
  token)
    issuer="$("$here/build-token-issuer.sh")"
    rm -f "$dir/issuer.crt"
    daemon issuer "$issuer" -addr "127.0.0.1:$issuer_port" -cert "$dir/issuer.crt" \
      -issuer hive-test-issuer -service hive-test-registry
    wait_for issuer "http://127.0.0.1:$issuer_port/healthz" || { stop issuer; exit 1; }
    auth="auth:
  token:
    realm: http://127.0.0.1:$issuer_port/token
    service: hive-test-registry
    issuer: hive-test-issuer
    rootcertbundle: $dir/issuer.crt"
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: hive-test-upload-secret
$auth
EOF

# Its stdout is the access log; the daemon helper sends both to one file, so split them here.
setsid bash -c 'exec docker-registry serve "$1" >"$2/access.log" 2>"$2/registry.log"' \
  registry "$dir/config.yml" "$dir" </dev/null >/dev/null 2>&1 &
echo $! >"$dir/registry.pid"
if ! wait_for registry "http://127.0.0.1:$port/v2/"; then
  stop registry
  stop issuer
  exit 1
fi
# A test that crashes never runs its destructor: with HIVE_REGISTRY_OWNER=PID, a watcher stops
# everything (and removes DIR) once that process is gone.
if [[ -n "${HIVE_REGISTRY_OWNER:-}" ]]; then
  setsid bash -c 'while ps -o stat= -p "$1" | grep -qv "^Z"; do sleep 1; done
                  rm -f "$3/watcher.pid"  # or stop would end this very script
                  "$2" stop "$3"; rm -rf "$3"' \
    watcher "$HIVE_REGISTRY_OWNER" "$here/registry.sh" "$dir" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watcher.pid"
fi
echo "127.0.0.1:$port"
