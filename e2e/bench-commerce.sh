#!/usr/bin/env bash
# Benchmark of the commercial core on `crm up` over PostgreSQL (every service in one
# process, each with its own database): SignContract end to end (clients, commerciaux
# and products asked over gRPC with internal tokens, one transaction, the outbox) at
# CONCURRENCY; ImportClients of CLIENTS rows into one organisation; then ListClients'
# first page and a page in the middle of that organisation, by keyset
# (`crm-e2e commerce-bench`, see its --help).
#
# Settings (environment):
#   PG_URL=postgres://postgres@127.0.0.1:5432?sslmode=disable
#   FRESH=0            1: drop the crm_* databases first (all their data!)
#   CONTRACTS=4000  CONCURRENCY=16  CLIENTS=1000000  SAMPLES=2000
#   SERVER_CPU=0  LOAD_CPU=1   (crm up on one core, the load generator on the other;
#                               PostgreSQL left free on both)
#   BIN_DIR=target/release  SKIP_BUILD=0  OUT_DIR=<new temporary directory>
#
# Usage: e2e/bench-commerce.sh

set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-"postgres://postgres@127.0.0.1:5432?sslmode=disable"}
FRESH=${FRESH:-0}
CONTRACTS=${CONTRACTS:-4000}
CONCURRENCY=${CONCURRENCY:-16}
CLIENTS=${CLIENTS:-1000000}
SAMPLES=${SAMPLES:-2000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
BIN_DIR=${BIN_DIR:-target/release}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t crm-bench-commerce.XXXXXX)}
mkdir -p "$OUT_DIR/data"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-commerce: $*"; exit 1; }

SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
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
for port in 8080 50052 50053 50055 50064 50067; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is in use: stop the running crm first"
done
if [[ "$FRESH" == 1 ]]; then
  base=${PG_URL%%\?*}
  for s in organisations users clients activites referentiel products commerciaux calendar contrats; do
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS crm_$s" >/dev/null
  done
fi

CRM_DATABASE_URL="$PG_URL" CRM_DATA_DIR="$OUT_DIR/data" CRM_LOG__FILTER=warn \
  taskset -c "$SERVER_CPU" "$BIN_DIR/crm" up >"$OUT_DIR/up.log" 2>&1 &
SERVER_PID=$!
for port in 51052 51053 51055 51064 51067 9080; do wait_ready "$port"; done

log "== crm-e2e commerce-bench (crm up on core $SERVER_CPU, load on core $LOAD_CPU, PostgreSQL free)"
taskset -c "$LOAD_CPU" "$BIN_DIR/crm-e2e" commerce-bench \
  --contracts "$CONTRACTS" --concurrency "$CONCURRENCY" --clients "$CLIENTS" --samples "$SAMPLES" \
  | tee "$OUT_DIR/results.txt"
log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
log "results in $OUT_DIR/results.txt"
