#!/usr/bin/env bash
# Where the PostgreSQL gateway's CPU above a bare pipe goes: sockets, relay, or the rest of the process.
#
# pgbench -S (simple, CLIENTS clients, sslmode=disable) against four proxies in front of the same
# PostgreSQL, interleaved in ROUNDS rounds of SLICE seconds (order reversed every other round):
#   pipe     bench/bare-pipe.mjs, the issues' floor for a Node.js proxy;
#   splice   bench/pg-relay-proxy.ts RAW=1: the gateway's own onread sockets spliced, no relay;
#   relay    bench/pg-relay-proxy.ts: the gateway's Relay (gatekeeper, policy, tracker, recording)
#            alone on those sockets, nothing else of the gateway (no API, store, logger, sign-in);
#   gateway  the whole gateway (bundle when current), connection `bench`, recording on.
# Prints each slice's TPS and the proxy's CPU µs/tx (/proc/<pid>/stat, user + system), then per
# target the medians and ranges. splice − pipe is what the sockets save, relay − splice what the
# relay costs on the wire, gateway − relay what the rest of the process adds. Session 14 found 43–48 / 55 µs/tx
# (splice / pipe), the relay ≈ the gateway, and the relay's wire cost 3–4× its in-process one
# (bench/pg-relay-cpu.ts): see docs/performance.md.
#
# Environment: ROUNDS (4), SLICE (s, 6), CLIENTS (8), TARGETS ("pipe splice relay gateway"),
# DB (the pgbench database, scale 1, created when missing and kept: warden_pgsplit).
set -euo pipefail
ROUNDS=${ROUNDS:-4}
SLICE=${SLICE:-6}
CLIENTS=${CLIENTS:-8}
JOBS=2
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=${DB:-warden_pgsplit}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-bench-pgsplit.XXXXXX)
PIDS=()
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
bench_cleanup_on_exit "$TMP"
log() { echo "[pg-split] $*" >&2; }
read -r -a TARGETS <<<"${TARGETS:-pipe splice relay gateway}"

if ! psql -h "$PG_HOST" -U "$PG_USER" -d postgres -qtAc "select 1 from pg_database where datname = '$DB'" | grep -q 1; then
  log "creating $DB (pgbench -i -s 1)"
  createdb -h "$PG_HOST" -U "$PG_USER" "$DB"
  pgbench -i -s 1 -q -h "$PG_HOST" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }
fi

declare -A URL PID
plain_url() { echo "host=127.0.0.1 port=$1 dbname=$DB user=$PG_USER sslmode=disable"; }
start_harness() { # NAME RAW
  local port
  port=$(free_port)
  (cd "$ROOT" && RAW=$2 exec node --import tsx bench/pg-relay-proxy.ts "$port") >"$TMP/$1.log" 2>&1 &
  PID[$1]=$!
  PIDS+=("${PID[$1]}")
  wait_for_port "$port" "${PID[$1]}" || { log "$1 did not start: $(cat "$TMP/$1.log")"; exit 1; }
  URL[$1]=$(plain_url "$port")
}
for t in "${TARGETS[@]}"; do
  case $t in
    pipe)
      port=$(free_port)
      node "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$PG_PORT" >"$TMP/pipe.log" 2>&1 &
      PID[pipe]=$!
      PIDS+=("${PID[pipe]}")
      wait_for_port "$port" "${PID[pipe]}" || { log "the pipe did not start"; exit 1; }
      URL[pipe]=$(plain_url "$port")
      ;;
    splice) start_harness splice 1 ;;
    relay) start_harness relay 0 ;;
    gateway)
      write_warden_config "$TMP/warden.yaml" "$TMP/data"
      start_warden "$TMP/warden.yaml"
      PID[gateway]=$WARDEN_PID
      token=$(warden_access bench "$DB" bench)
      URL[gateway]="host=127.0.0.1 port=$WARDEN_PG_PORT dbname=bench user=bench password=$token sslmode=disable"
      ;;
    *) log "unknown target $t (TARGETS)"; exit 2 ;;
  esac
done

# slice TARGET SECONDS: "TPS CPU_US_PER_TX" of one pgbench run against TARGET.
slice() {
  local out n e t
  out=$(pgbench_slice "${URL[$1]}" simple "$2" "${PID[$1]}") || { log "pgbench against $1 failed"; exit 1; }
  read -r n e t _ <<<"$out"
  echo "$(awk -v n="$n" -v e="$e" 'BEGIN { printf "%.0f", n / e }') $(us_per_tx "$t" "$n")"
}

for t in "${TARGETS[@]}"; do slice "$t" 2 >/dev/null; done
declare -A ALL_TPS ALL_CPU
printf '%-6s' round
for t in "${TARGETS[@]}"; do printf ' %16s' "$t"; done
echo
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${TARGETS[@]}")
  if ((r % 2 == 0)); then order=(); for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do order+=("${TARGETS[i]}"); done; fi
  declare -A got=()
  for t in "${order[@]}"; do got[$t]=$(slice "$t" "$SLICE"); done
  printf '%-6s' "$r"
  for t in "${TARGETS[@]}"; do
    read -r tps cpu <<<"${got[$t]}"
    ALL_TPS[$t]+="$tps " ALL_CPU[$t]+="$cpu "
    printf ' %9s %6s' "$tps" "$cpu"
  done
  echo
done
echo
echo "pgbench -S -c $CLIENTS simple, $ROUNDS interleaved rounds of ${SLICE}s"
for t in "${TARGETS[@]}"; do printf '%-8s tps %s, CPU µs/tx %s\n' "$t" "$(spread "${ALL_TPS[$t]}")" "$(spread "${ALL_CPU[$t]}")"; done
