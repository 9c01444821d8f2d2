#!/usr/bin/env bash
# Benchmark of the gRPC serving stack, end to end (see e2e/README.md, "Benchmarks").
#
# Builds once (release), then for each case starts the server pinned to one core and
# the load generator pinned to the other, warms up, runs one recorded load, and prints a
# markdown table: throughput, latency percentiles, non-OK answers, server CPU time per
# request, server memory, load-generator CPU time per request, and for PostgreSQL the
# database's own CPU time per request.
#
# Cases (CASES, in this order by default):
#   bare         crm-e2e bench-server --mode bare: plain tonic, fixed GetClient record
#   kit          crm-e2e bench-server --mode kit: the same handler through crm_kit::Server
#   up-sqlite    GetClient through `crm up` (every service in one process, SQLite)
#   up-postgres  GetClient through `crm up` with CRM_DATABASE_URL (PostgreSQL)
#   idle         resident memory of crm-clients alone, idle, on SQLite
#
# Settings (environment):
#   CASES="bare kit up-sqlite up-postgres"  DURATION=10s  WARMUP=2s
#   CONCURRENCY=64  CONNECTIONS=4  SERVER_CPU=0  LOAD_CPU=1
#   PG_URL=postgres://postgres@127.0.0.1:5432
#   PG_CPU=<LOAD_CPU>   during up-postgres, PostgreSQL's processes are pinned to this core
#                       (with the load generator) so the server's core runs the server
#                       alone; their affinity is restored afterwards. PG_CPU=none leaves
#                       PostgreSQL free on every core.
#   BIN_DIR=target/release  SKIP_BUILD=0   (SKIP_BUILD=1 uses the binaries in BIN_DIR)
#   BARE_PORT=50152  KIT_PORT=50153        (the bench servers' gRPC ports)
#   OUT_DIR=<new temporary directory>       (logs, data, JSON reports, results.md)
#
# Usage: e2e/bench.sh            (from anywhere; it cds to the workspace root)

set -euo pipefail

cd "$(dirname "$0")/.."

CASES=${CASES:-"bare kit up-sqlite up-postgres idle"}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONCURRENCY=${CONCURRENCY:-64}
CONNECTIONS=${CONNECTIONS:-4}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_CPU=${PG_CPU:-$LOAD_CPU}
BIN_DIR=${BIN_DIR:-target/release}
SKIP_BUILD=${SKIP_BUILD:-0}
BARE_PORT=${BARE_PORT:-50152}
KIT_PORT=${KIT_PORT:-50153}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t crm-bench.XXXXXX)}
mkdir -p "$OUT_DIR"

METHOD=/crm.clients.v1.ClientService/GetClient
FIXED_ID=01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b11
USERS_URL=http://127.0.0.1:50067
CLIENTS_URL=http://127.0.0.1:50052

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

# The server started last, stopped on exit whatever happens (by its pid only).
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
# PostgreSQL's affinity, changed for up-postgres and restored on exit.
PG_PINNED=""
pin_postgres() {
  [[ "$PG_CPU" == none ]] && return 0
  local p
  for p in $(pgrep -x postgres || true); do taskset -p -c "$PG_CPU" "$p" >/dev/null 2>&1 || true; done
  PG_PINNED=yes
  log "   PostgreSQL pinned to core $PG_CPU"
}
unpin_postgres() {
  [[ -z "$PG_PINNED" ]] && return 0
  local p all
  all="0-$(( $(nproc) - 1 ))"
  for p in $(pgrep -x postgres || true); do taskset -p -c "$all" "$p" >/dev/null 2>&1 || true; done
  PG_PINNED=""
}
cleanup() { stop_server; unpin_postgres; }
trap cleanup EXIT INT TERM

# CPU time of a process (utime + stime, fields 14 and 15 of /proc/<pid>/stat), in
# clock ticks (USER_HZ, 100 per second). The fields are counted after the last ')' so a
# command name with spaces cannot shift them.
cpu_ticks() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $(( ${12} + ${13} ))
}

# Sum of cpu_ticks over every PostgreSQL process (the server's backends do the work of
# the queries); empty when none is visible.
pg_ticks() {
  local pids total=0 p
  pids=$(pgrep -x postgres || true)
  [[ -z "$pids" ]] && return 0
  for p in $pids; do total=$(( total + $(cpu_ticks "$p") )); done
  echo "$total"
}

# VmRSS or VmHWM (kB) of a process.
mem_kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits until GET /readyz on an admin port answers 200.
wait_ready() {
  local port=$1 i line
  for i in $(seq 1 300); do
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
      printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
      head -n1 <&3) 2>/dev/null || true)
    [[ "$line" == *" 200 "* ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped; see its log in $OUT_DIR"
    sleep 0.2
  done
  die "admin port $port not ready after 60 s"
}

# Waits until a server's output holds a line starting with $2 and prints its value.
wait_line() {
  local file=$1 key=$2 i
  for i in $(seq 1 300); do
    if grep -q "^$key " "$file" 2>/dev/null; then
      grep -m1 "^$key " "$file" | cut -d' ' -f2-
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped; see $file"
    sleep 0.1
  done
  die "no $key line in $file after 30 s"
}

# Reads a number from the flat parts of a load report (JSON, one line).
json_num() { grep -o "\"$2\":[-0-9.e]*" "$1" | head -1 | cut -d: -f2; }
json_non_ok() {
  local o
  o=$(grep -o '"non_ok":{[^}]*}' "$1" | sed 's/"non_ok"://; s/[{}"]//g; s/,/ /g')
  echo "${o:-none}"
}

ROWS=()

# Runs the warm-up and the recorded load against $1 (URL) as case $2 with token $3 and
# request JSON $4, then adds a table row.
measure() {
  local url=$1 name=$2 token=$3 data=$4 report="$OUT_DIR/$2.json"
  local idle_rss pg0 pg1 pg_col="n/a"
  idle_rss=$(mem_kib "$SERVER_PID" VmRSS)
  log "== $name: warm-up $WARMUP"
  taskset -c "$LOAD_CPU" "$BIN_DIR/crm-e2e" load --target "$url" --method "$METHOD" \
    --data "$data" --token "$token" --concurrency "$CONCURRENCY" \
    --connections "$CONNECTIONS" --duration "$WARMUP" --json >"$OUT_DIR/$name.warmup.json"
  log "== $name: recording $DURATION at concurrency $CONCURRENCY over $CONNECTIONS connections"
  pg0=$(pg_ticks)
  taskset -c "$LOAD_CPU" "$BIN_DIR/crm-e2e" load --target "$url" --method "$METHOD" \
    --data "$data" --token "$token" --concurrency "$CONCURRENCY" \
    --connections "$CONNECTIONS" --duration "$DURATION" --server-pid "$SERVER_PID" \
    --json >"$report"
  pg1=$(pg_ticks)
  local total rps p50 p90 p99 max srv_us cli_us rss hwm
  total=$(json_num "$report" total)
  rps=$(json_num "$report" requests_per_sec)
  p50=$(json_num "$report" p50_us); p90=$(json_num "$report" p90_us)
  p99=$(json_num "$report" p99_us); max=$(json_num "$report" max_us)
  srv_us=$(json_num "$report" cpu_us_per_request)
  cli_us=$(json_num "$report" client_cpu_us_per_request)
  rss=$(json_num "$report" rss_kib); hwm=$(json_num "$report" hwm_kib)
  if [[ "$name" == *postgres* && -n "$pg0" && -n "$pg1" && "$total" -gt 0 ]]; then
    pg_col=$(awk -v t=$(( pg1 - pg0 )) -v n="$total" 'BEGIN { printf "%.1f", t * 10000 / n }')
  fi
  ROWS+=("$(awk -v name="$name" -v rps="$rps" -v p50="$p50" -v p90="$p90" -v p99="$p99" \
    -v max="$max" -v nonok="$(json_non_ok "$report")" -v srv="$srv_us" -v cli="$cli_us" \
    -v idle="$idle_rss" -v rss="$rss" -v hwm="$hwm" -v pg="$pg_col" 'BEGIN {
      printf "| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %.1f | %s | %.1f | %.1f | %.1f | %.1f |",
        name, rps, p50/1000, p90/1000, p99/1000, max/1000, nonok, srv, pg, cli,
        idle/1024, rss/1024, hwm/1024 }')")
  log "   $name: $rps req/s, p99 $p99 us, non-OK: $(json_non_ok "$report")"
}

bench_server() {
  local mode=$1 port=$2 out="$OUT_DIR/$1.log" token
  port_busy "$port" && die "port $port is in use (set ${mode^^}_PORT)"
  taskset -c "$SERVER_CPU" "$BIN_DIR/crm-e2e" bench-server --mode "$mode" \
    --listen "127.0.0.1:$port" >"$out" 2>&1 &
  SERVER_PID=$!
  token=$(wait_line "$out" TOKEN)
  wait_line "$out" LISTEN >/dev/null
  if [[ "$mode" == kit ]]; then
    wait_ready "$(wait_line "$out" ADMIN | cut -d: -f2)"
  fi
  measure "http://127.0.0.1:$port" "$mode" "$token" "{\"clientId\":\"$FIXED_ID\"}"
  stop_server
}

crm_up() {
  local name=$1 db_url=$2 out="$OUT_DIR/$1.log" seed port
  for port in 50052 50062 50067 51052 51062 51067; do
    port_busy "$port" && die "port $port is in use: stop the running crm first"
  done
  mkdir -p "$OUT_DIR/$name-data"
  if [[ -n "$db_url" ]]; then
    CRM_DATABASE_URL="$db_url" CRM_DATA_DIR="$OUT_DIR/$name-data" \
      taskset -c "$SERVER_CPU" "$BIN_DIR/crm" up >"$out" 2>&1 &
  else
    env -u CRM_DATABASE_URL CRM_DATA_DIR="$OUT_DIR/$name-data" \
      taskset -c "$SERVER_CPU" "$BIN_DIR/crm" up >"$out" 2>&1 &
  fi
  SERVER_PID=$!
  wait_ready 51062
  wait_ready 51067
  wait_ready 51052
  seed=$(CRM_E2E_USERS_URL=$USERS_URL CRM_E2E_CLIENTS_URL=$CLIENTS_URL \
    "$BIN_DIR/crm-e2e" seed) || die "seeding failed: $seed"
  measure "$CLIENTS_URL" "$name" "$(sed -n 's/^TOKEN //p' <<<"$seed")" \
    "{\"clientId\":\"$(sed -n 's/^CLIENT_ID //p' <<<"$seed")\"}"
  stop_server
}

# Idle resident memory of one service on its own (crm-clients, SQLite), after it has
# reported ready and settled for two seconds.
IDLE_ROWS=()
idle_service() {
  local out="$OUT_DIR/idle-clients.log" rss hwm
  for port in 50052 51052; do
    port_busy "$port" && die "port $port is in use: stop the running crm first"
  done
  mkdir -p "$OUT_DIR/idle-data"
  env -u CRM_DATABASE_URL CRM_DATA_DIR="$OUT_DIR/idle-data" \
    taskset -c "$SERVER_CPU" "$BIN_DIR/crm-clients" >"$out" 2>&1 &
  SERVER_PID=$!
  wait_ready 51052
  sleep 2
  rss=$(mem_kib "$SERVER_PID" VmRSS); hwm=$(mem_kib "$SERVER_PID" VmHWM)
  IDLE_ROWS+=("$(awk -v r="$rss" -v h="$hwm" 'BEGIN { printf "| crm-clients alone, idle (SQLite) | %.1f | %.1f |", r/1024, h/1024 }')")
  log "   idle crm-clients: VmRSS $rss kB"
  stop_server
}

if [[ "$SKIP_BUILD" != 1 ]]; then
  log "== building (release): cargo build --release -p crm -p crm-e2e -p crm-clients"
  cargo build --release -p crm -p crm-e2e -p crm-clients
fi
[[ -x "$BIN_DIR/crm-e2e" ]] || die "no $BIN_DIR/crm-e2e"
[[ "$(nproc)" -ge 2 ]] || log "bench: fewer than 2 cores: server and load share a core"

for case in $CASES; do
  case "$case" in
    bare) bench_server bare "$BARE_PORT" ;;
    kit) bench_server kit "$KIT_PORT" ;;
    up-sqlite) crm_up up-sqlite "" ;;
    up-postgres) pin_postgres; crm_up up-postgres "$PG_URL"; unpin_postgres ;;
    idle) idle_service ;;
    *) die "unknown case $case (bare, kit, up-sqlite, up-postgres, idle)" ;;
  esac
done

{
  echo
  echo "GetClient, concurrency $CONCURRENCY over $CONNECTIONS connections, $DURATION recorded after $WARMUP warm-up;"
  echo "server on core $SERVER_CPU, load generator on core $LOAD_CPU, PostgreSQL on core $PG_CPU during up-postgres ($(nproc) cores, $(uname -r))."
  echo
  echo "| case | req/s | p50 ms | p90 ms | p99 ms | max ms | non-OK | server CPU µs/req | postgres CPU µs/req | load CPU µs/req | RSS idle MiB | RSS after MiB | RSS peak MiB |"
  echo "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if [[ ${#IDLE_ROWS[@]} -gt 0 ]]; then
    echo
    echo "| idle process | RSS MiB | RSS peak MiB |"
    echo "|---|---:|---:|"
    printf '%s\n' "${IDLE_ROWS[@]}"
  fi
  echo
  echo "Reports and logs: $OUT_DIR"
} | tee "$OUT_DIR/results.md"
