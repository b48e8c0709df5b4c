#!/usr/bin/env bash
# CPU profile of the gateway's MySQL path under sysbench, summarised with file:line.
#
# The MySQL counterpart of bench/profile.sh: starts the gateway as
# bench/mysql.sh does (one allow rule, recording on) but under
# `node --cpu-prof`, runs `sysbench oltp_point_select` for each MODE (text:
# --db-ps-mode=disable, prepared: auto), prints the gateway's CPU µs per
# transaction for each, stops the gateway (the profile is written as it
# exits) and prints bench/profile-summary.mjs's tables. One profile covers
# all MODES: run with MODES=text or MODES=prepared to see one mode alone.
#
# Environment: MODES ("text prepared"), DURATION (s per mode, default 10),
# THREADS (4), TABLE_SIZE (10000), TOP (25), PROFILE_DIR (keep the
# .cpuprofile there; default: a temp dir, removed), WARDEN_NODE_ARGS (more
# node flags). Its tables live in a database of their own (BENCH_DB, default
# warden_profile_mysql_<pid>), dropped on exit.
# The gateway runs from the sources (WARDEN_FROM_SOURCE=1): the summary maps
# tsx's positions back to .ts lines, and finds the relay's profile by its file.
# For CPU per transaction of a bundle, A against B, see bench/mysql-ab.sh.
set -euo pipefail
export WARDEN_FROM_SOURCE=1

MODES=${MODES:-text prepared}
DURATION=${DURATION:-10}
THREADS=${THREADS:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
MY_HOST=127.0.0.1
MY_PORT=3306
DB=${BENCH_DB:-warden_profile_mysql_$$}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-profile-mysql.XXXXXX)
PIDS=()
OUT=${PROFILE_DIR:-$TMP/prof}
mkdir -p "$OUT"

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/mysql-lib.sh
source "$ROOT/bench/mysql-lib.sh"
bench_on_exit() { mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "drop database if exists $DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"

log() { echo "[profile] $*" >&2; }

mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "create database $DB"
sysbench oltp_point_select --db-driver=mysql --mysql-host="$MY_HOST" --mysql-port="$MY_PORT" --mysql-user=root \
  --mysql-db="$DB" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" prepare >"$TMP/prepare.log" 2>&1 ||
  { cat "$TMP/prepare.log" >&2; exit 1; }

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$TMP/data"
write_mysql_warden_config "$TMP/warden.yaml" "$TMP/data" "$port"
WARDEN_NODE_ARGS="${WARDEN_NODE_ARGS:-} --cpu-prof --cpu-prof-dir=$OUT" start_warden "$TMP/warden.yaml"
wait_for_port "$port" "$WARDEN_PID" || { log "the gateway does not answer on $port"; exit 1; }
token=$(mysql_bench_access "$ROOT" "$WARDEN_API" "$WARDEN_ADMIN" "$TMP/setup.log") || exit 1

for mode in $MODES; do
  ps=disable; [[ $mode == prepared ]] && ps=auto
  log "$mode, ${DURATION}s"
  t0=$(cpu_ticks "$WARDEN_PID")
  # LIBMYSQL_PLUGINS: see bench/mysql.sh (concurrent plugin loads race in libmariadb).
  out=$(LIBMYSQL_PLUGINS=mysql_clear_password sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
    --mysql-user=bench --mysql-password="$token" --mysql-db=bench --mysql-ssl=off \
    --tables=1 --table-size="$TABLE_SIZE" --threads="$THREADS" --time="$DURATION" --db-ps-mode="$ps" run 2>&1) || { echo "$out" >&2; exit 1; }
  t1=$(cpu_ticks "$WARDEN_PID")
  n=$(awk '/transactions:/ { print $2; exit }' <<<"$out")
  log "$(awk '/transactions:/ { print $3 " tps"; exit }' <<<"$out" | tr -d '('); gateway CPU $(us_per_tx "$((t1 - t0))" "$n") µs/tx (with the profiler on)"
done
kill "$WARDEN_PID"
wait "$WARDEN_PID" || true
PIDS=()
# tsx runs its loader hooks in a second thread, which writes its own profile: take the relay's.
prof=$(grep -l 'src/protocols/mysql/relay.ts' "$OUT"/*.cpuprofile | head -n 1)
[[ -n ${PROFILE_DIR:-} ]] && log "profile kept at $prof"
node "$ROOT/bench/profile-summary.mjs" "$prof" "${TOP:-25}"
