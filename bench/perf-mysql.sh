#!/usr/bin/env bash
# Where the gateway's CPU goes on the MySQL path, on the wire, next to a bare
# pipe's, by `perf`: the counterpart of bench/perf-pg.sh.
#
# Runs `sysbench oltp_point_select` (MODES, default "text prepared"; text:
# --db-ps-mode=disable, prepared: auto) through the bare pipe and through the
# gateway (the bundle, bench/mysql-lib.sh's config: one allow rule, recording
# on), each under `perf record` for DURATION seconds, and prints for each
# (bench/perf-lib.sh): CPU µs per transaction, split by binary (kernel, node,
# libc, JavaScript), by symbol and by JavaScript function.
#
# Needs root (perf), MariaDB on 127.0.0.1:3306 and sysbench (bench/mysql.sh
# installs it). Environment: MODES, DURATION (s, default 8), THREADS (8),
# TABLE_SIZE (10000), TOP (30), CALLERS (see perf-lib.sh). Its tables live in a
# database of their own (warden_perf_mysql_<pid>), dropped on exit.
set -euo pipefail

MODES=${MODES:-text prepared}
DURATION=${DURATION:-8}
THREADS=${THREADS:-8}
TABLE_SIZE=${TABLE_SIZE:-10000}
TOP=${TOP:-30}
MY_HOST=127.0.0.1
MY_PORT=3306
DB=warden_perf_mysql_$$

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-perf-mysql.XXXXXX)
PIDS=()
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/mysql-lib.sh
source "$ROOT/bench/mysql-lib.sh"
# shellcheck source=bench/perf-lib.sh
source "$ROOT/bench/perf-lib.sh"
bench_on_exit() { mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "drop database if exists $DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"
log() { echo "[perf-mysql] $*" >&2; }

command -v perf >/dev/null || { log "perf is not installed"; exit 1; }
command -v sysbench >/dev/null || { log "sysbench is not installed (bench/mysql.sh installs it)"; exit 1; }
mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "create database $DB"
sysbench oltp_point_select --db-driver=mysql --mysql-host="$MY_HOST" --mysql-port="$MY_PORT" --mysql-user=root \
  --mysql-db="$DB" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" prepare >"$TMP/prepare.log" 2>&1 ||
  { cat "$TMP/prepare.log" >&2; exit 1; }

# my_load warm|run: sysbench through $PORT as $USER_ / $PASS to $DBNAME in $MODE (2 s to warm up); `run` ends with `TX TPS`.
my_load() {
  local seconds=$DURATION line
  [[ $1 == warm ]] && seconds=2
  line=$(sysbench_slice "$PORT" "$USER_" "$PASS" "$DBNAME" "$MODE" "$seconds") || return 1
  # sysbench_slice: TX ELAPSED TICKS LATENCY.
  awk '{ printf "%d %.1f\n", $1, $1 / $2 }' <<<"$line"
}

port=$(free_port)
# shellcheck disable=SC2086
(cd "$TMP" && exec node $PERF_NODE_ARGS "$ROOT/bench/bare-pipe.mjs" "$port" "$MY_HOST" "$MY_PORT") >"$TMP/pipe.log" 2>&1 &
pipe_pid=$!
PIDS+=("$pipe_pid")
wait_for_port "$port" "$pipe_pid" || { log "the bare pipe did not start: $(cat "$TMP/pipe.log")"; exit 1; }
PORT=$port USER_=root PASS='' DBNAME=$DB
for MODE in $MODES; do perf_profile "pipe-$MODE" "$pipe_pid" my_load; done
kill "$pipe_pid"

port=$(free_port)
mkdir -p "$TMP/data"
write_mysql_warden_config "$TMP/warden.yaml" "$TMP/data" "$port"
WARDEN_CWD=$TMP WARDEN_NODE_ARGS=$PERF_NODE_ARGS start_warden "$TMP/warden.yaml"
wait_for_port "$port" "$WARDEN_PID" || { log "the gateway does not answer on $port"; exit 1; }
PORT=$port USER_=bench DBNAME=bench
PASS=$(mysql_bench_access "$ROOT" "$WARDEN_API" "$WARDEN_ADMIN" "$TMP/setup.log")
for MODE in $MODES; do perf_profile "gateway-$MODE" "$WARDEN_PID" my_load; done
