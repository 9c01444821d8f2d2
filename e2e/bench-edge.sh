#!/usr/bin/env bash
# Benchmark of the JSON edge: GetClient over gRPC straight to the clients service
# against the same call as JSON through the edge (GET /v1/clients/{id}), over HTTP/1.1
# keep-alive and HTTP/2, and as gRPC through the edge's port — one `crm up` process, one
# run, at each concurrency of CONCURRENCIES. Prints a markdown table with the edge's
# share of direct throughput and what it adds to the median.
#
# Settings (environment):
#   CONCURRENCIES="1 64"  DURATION=10s  WARMUP=2s  CONNECTIONS=4 (HTTP/2 and gRPC)
#   SERVER_CPU=0  LOAD_CPU=1   (crm up on one core, the load generator on the other)
#   PG_URL=            (empty: SQLite; else PostgreSQL, pinned to LOAD_CPU while running)
#   BIN_DIR=target/release  SKIP_BUILD=0  OUT_DIR=<new temporary directory>
#
# Usage: e2e/bench-edge.sh

set -euo pipefail
cd "$(dirname "$0")/.."

CONCURRENCIES=${CONCURRENCIES:-"1 64"}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-4}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PG_URL=${PG_URL:-}
BIN_DIR=${BIN_DIR:-target/release}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t crm-bench-edge.XXXXXX)}
mkdir -p "$OUT_DIR"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-edge: $*"; exit 1; }

SERVER_PID=""
PG_PINNED=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$PG_PINNED" ]]; then
    for p in $(pgrep -x postgres || true); do taskset -p -c "0-$(( $(nproc) - 1 ))" "$p" >/dev/null 2>&1 || true; done
  fi
}
trap cleanup EXIT INT TERM

wait_ready() {
  local port=$1
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "crm up stopped; see $OUT_DIR/up.log"
    sleep 0.2
  done
  die "admin port $port not ready"
}

if [[ "$SKIP_BUILD" != 1 ]]; then
  log "== building (release): cargo build --release -p crm -p crm-e2e"
  cargo build --release -p crm -p crm-e2e
fi

for port in 8080 9080 50052 50062 50067 50051; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is in use: stop the running crm first"
done

mkdir -p "$OUT_DIR/data"
DB="SQLite"
if [[ -n "$PG_URL" ]]; then
  DB="PostgreSQL"
  export CRM_DATABASE_URL="$PG_URL"
  for p in $(pgrep -x postgres || true); do taskset -p -c "$LOAD_CPU" "$p" >/dev/null 2>&1 || true; done
  PG_PINNED=yes
else
  unset CRM_DATABASE_URL
fi
# The benchmark is one client address and one organisation: no rate limits here.
CRM_DATA_DIR="$OUT_DIR/data" CRM_LOG__FILTER=warn \
  CRM_GATEWAY__RATE_LIMITS__PER_IP_PER_SECOND=0 \
  CRM_GATEWAY__RATE_LIMITS__PER_ORGANISATION_PER_SECOND=0 \
  taskset -c "$SERVER_CPU" "$BIN_DIR/crm" up >"$OUT_DIR/up.log" 2>&1 &
SERVER_PID=$!
for port in 51062 51067 51052 51051 9080; do wait_ready "$port"; done

seed=$("$BIN_DIR/crm-e2e" seed) || die "seeding failed: $seed"
TOKEN=$(sed -n 's/^TOKEN //p' <<<"$seed")
CLIENT=$(sed -n 's/^CLIENT_ID //p' <<<"$seed")
[[ -n "$TOKEN" && -n "$CLIENT" ]] || die "seed printed no token or client"
METHOD=/crm.clients.v1.ClientService/GetClient
DATA="{\"clientId\":\"$CLIENT\"}"
URL="http://127.0.0.1:8080/v1/clients/$CLIENT"

json_num() { grep -o "\"$2\":[-0-9.e]*" "$1" | head -1 | cut -d: -f2; }
json_non_ok() {
  local o
  o=$(grep -o '"non_ok":{[^}]*}' "$1" | sed 's/"non_ok"://; s/[{}"]//g; s/,/ /g')
  echo "${o:-none}"
}

# run <name> <concurrency> <warm-up|record> -- command args (without duration/json flags)
run() {
  local name=$1 c=$2; shift 2
  taskset -c "$LOAD_CPU" "$@" --concurrency "$c" --duration "$WARMUP" --json >/dev/null
  taskset -c "$LOAD_CPU" "$@" --concurrency "$c" --duration "$DURATION" \
    --server-pid "$SERVER_PID" --json >"$OUT_DIR/$name-c$c.json"
}

ROWS=()
for c in $CONCURRENCIES; do
  log "== concurrency $c"
  run grpc-direct "$c" "$BIN_DIR/crm-e2e" load --target http://127.0.0.1:50052 --method "$METHOD" \
    --data "$DATA" --token "$TOKEN" --connections "$CONNECTIONS"
  run json-http1 "$c" "$BIN_DIR/crm-e2e" load-http --url "$URL" --token "$TOKEN"
  run json-http2 "$c" "$BIN_DIR/crm-e2e" load-http --url "$URL" --token "$TOKEN" --http2 \
    --connections "$CONNECTIONS"
  run grpc-via-edge "$c" "$BIN_DIR/crm-e2e" load --target http://127.0.0.1:8080 --method "$METHOD" \
    --data "$DATA" --token "$TOKEN" --connections "$CONNECTIONS"
  base_rps=$(json_num "$OUT_DIR/grpc-direct-c$c.json" requests_per_sec)
  base_p50=$(json_num "$OUT_DIR/grpc-direct-c$c.json" p50_us)
  for name in grpc-direct json-http1 json-http2 grpc-via-edge; do
    f="$OUT_DIR/$name-c$c.json"
    ROWS+=("$(awk -v name="$name" -v c="$c" -v rps="$(json_num "$f" requests_per_sec)" \
      -v p50="$(json_num "$f" p50_us)" -v p99="$(json_num "$f" p99_us)" \
      -v srv="$(json_num "$f" cpu_us_per_request)" -v brps="$base_rps" -v bp50="$base_p50" \
      -v nonok="$(json_non_ok "$f")" 'BEGIN {
        printf "| %s | %d | %.0f | %.0f%% | %d | %+d | %d | %.1f | %s |",
          name, c, rps, 100 * rps / brps, p50, p50 - bp50, p99, srv, nonok }')")
    log "   ${ROWS[-1]}"
  done
done

{
  echo
  echo "GetClient on $DB: crm up (every service and the edge) on core $SERVER_CPU, load generator on core $LOAD_CPU"
  echo "($(nproc) cores, $(uname -r)); $DURATION recorded after $WARMUP warm-up per row; HTTP/2 and gRPC over $CONNECTIONS connections,"
  echo "HTTP/1.1 one keep-alive connection per worker."
  echo
  echo "| path | concurrency | req/s | of direct | p50 µs | p50 vs direct µs | p99 µs | server CPU µs/req | non-OK |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Reports and logs: $OUT_DIR"
} | tee "$OUT_DIR/results.md"
