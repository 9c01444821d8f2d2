#!/usr/bin/env bash
# The production topology on this machine: each service its own process (`crm serve
# <name>`) on its own port, its own PostgreSQL database (crm_<service>), events over
# NATS JetStream; then the e2e live suite against it, and a clean stop.
#
# Settings (environment):
#   CRM_DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432?sslmode=disable)
#   CRM_NATS_URL      NATS with JetStream (default nats://127.0.0.1:4222)
#   BIN_DIR           where crm and crm-e2e are (default ${CARGO_TARGET_DIR:-target}/debug)
#   FRESH=1           drop the crm_<service> databases first
#
# Usage: e2e/topology.sh   (builds nothing: run `cargo build -p crm -p crm-e2e` first)
set -euo pipefail
cd "$(dirname "$0")/.."

export CRM_DATABASE_URL="${CRM_DATABASE_URL:-postgres://postgres@127.0.0.1:5432?sslmode=disable}"
export CRM_NATS_URL="${CRM_NATS_URL:-nats://127.0.0.1:4222}"
BIN_DIR="${BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}"
SERVICES=(organisations users clients activites referentiel products commerciaux calendar contrats payments factures retry commission)
DATA_DIR="$(mktemp -d -t crm-topology.XXXXXX)"
export CRM_DATA_DIR="$DATA_DIR"
export CRM_LOG__FORMAT=json
# The payments service encrypts debtor IBANs with a key it is given (never generated
# outside `crm up`): one per run here.
CRM_PAYMENTS__IBAN_KEY="$(head -c 32 /dev/urandom | base64)"
export CRM_PAYMENTS__IBAN_KEY

admin_port() {
  case "$1" in
    organisations) echo 51062 ;; users) echo 51067 ;; clients) echo 51052 ;; activites) echo 51051 ;;
    referentiel) echo 51065 ;; products) echo 51064 ;; commerciaux) echo 51053 ;;
    calendar) echo 51068 ;; contrats) echo 51055 ;; payments) echo 51063 ;;
    factures) echo 51059 ;; retry) echo 51070 ;; commission) echo 51054 ;;
    *) echo "no admin port known for $1" >&2; exit 1 ;;
  esac
}

PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_all EXIT

if [[ "${FRESH:-0}" == 1 ]]; then
  base="${CRM_DATABASE_URL%%\?*}"
  for s in "${SERVICES[@]}"; do
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS crm_$s" >/dev/null
  done
fi

echo "== migrate"
"$BIN_DIR/crm" migrate "${SERVICES[@]}" >"$DATA_DIR/migrate.log" 2>&1 || { cat "$DATA_DIR/migrate.log"; exit 1; }

for s in "${SERVICES[@]}"; do
  "$BIN_DIR/crm" serve "$s" >"$DATA_DIR/$s.log" 2>&1 &
  PIDS+=($!)
done
for s in "${SERVICES[@]}"; do
  port=$(admin_port "$s")
  ok=""
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ok=yes; break; fi
    sleep 0.5
  done
  if [[ -z "$ok" ]]; then
    echo "$s did not become ready; its log:" >&2
    tail -n 50 "$DATA_DIR/$s.log" >&2
    exit 1
  fi
  echo "== $s ready (one process, database crm_$s)"
done

# The JSON edge, its own process too: it verifies tokens with the users service's JWKS.
"$BIN_DIR/crm" serve gateway >"$DATA_DIR/gateway.log" 2>&1 &
PIDS+=($!)
ok=""
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:9080/readyz" >/dev/null 2>&1; then ok=yes; break; fi
  sleep 0.5
done
[[ -n "$ok" ]] || { echo "the gateway did not become ready; its log:" >&2; tail -n 50 "$DATA_DIR/gateway.log" >&2; exit 1; }
echo "== gateway ready (one process, port 8080)"

"$BIN_DIR/crm-e2e" live
"$BIN_DIR/crm-e2e" live --via-edge

stop_all
trap - EXIT
for s in "${SERVICES[@]}"; do
  grep -q '"message":"stopped"' "$DATA_DIR/$s.log" || { echo "$s did not stop cleanly" >&2; exit 1; }
done
grep -q '"message":"edge stopped"' "$DATA_DIR/gateway.log" || { echo "the gateway did not stop cleanly" >&2; exit 1; }
echo "== topology stopped cleanly (logs in $DATA_DIR)"
