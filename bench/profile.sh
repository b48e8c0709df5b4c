#!/usr/bin/env bash
# CPU profile of the gateway under pgbench, summarised with file:line.
#
# Starts the gateway exactly as bench/pgbench.sh does (same policy, recording
# on) but under `node --cpu-prof`, runs `pgbench -S` for each MODE against
# CONNECTION, stops the gateway (the profile is written as it exits) and prints
# bench/profile-summary.mjs's tables.
#
# Environment: CONNECTION (bench | bench_mask, default bench), MODES ("simple
# prepared"), DURATION (s per mode, default 10), SCALE (10), CLIENTS (8), JOBS
# (2), PROFILE_DIR (keep the .cpuprofile there; default: a temp dir, removed).
# The gateway runs from the sources (WARDEN_FROM_SOURCE=1): the summary maps
# tsx's positions back to .ts lines, and finds the relay's profile by its file
# (a bundle has neither).
set -euo pipefail
export WARDEN_FROM_SOURCE=1

CONNECTION=${CONNECTION:-bench}
MODES=${MODES:-simple prepared}
DURATION=${DURATION:-10}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=warden_bench_profile

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-profile.XXXXXX)
PIDS=()
OUT=${PROFILE_DIR:-$TMP/prof}
mkdir -p "$OUT"

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
bench_on_exit() { dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"

log() { echo "[profile] $*" >&2; }

dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

mkdir -p "$TMP/data"
write_warden_config "$TMP/warden.yaml" "$TMP/data"
WARDEN_NODE_ARGS="--cpu-prof --cpu-prof-dir=$OUT" start_warden "$TMP/warden.yaml"
token=$(warden_access bench "$DB" bench bench_mask)
url="postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/$CONNECTION?sslmode=disable"
for mode in $MODES; do
  log "$CONNECTION, $mode, ${DURATION}s"
  t0=$(cpu_ticks "$WARDEN_PID")
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M "$mode" "$url" 2>&1) || { echo "$out" >&2; exit 1; }
  t1=$(cpu_ticks "$WARDEN_PID")
  n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
  log "$(grep -E '^tps' <<<"$out"); gateway CPU $(us_per_tx "$((t1 - t0))" "$n") µs/tx (with the profiler on)"
done
kill "$WARDEN_PID"
wait "$WARDEN_PID" || true
PIDS=()
# tsx runs its loader hooks in a second thread, which writes its own profile: take the relay's.
prof=$(grep -l 'src/protocols/postgres/relay.ts' "$OUT"/*.cpuprofile | head -n 1)
[[ -n ${PROFILE_DIR:-} ]] && log "profile kept at $prof"
node "$ROOT/bench/profile-summary.mjs" "$prof" "${TOP:-25}"
