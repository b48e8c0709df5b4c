#!/usr/bin/env bash
# Where the gateway's CPU goes on the wire, next to a bare pipe's, by `perf`.
#
# Runs `pgbench -S` (MODE, default simple) through each of PATHS (default
# "pipe gateway"): the bare pipe; the gateway (the bundle, bench/warden-lib.sh's
# policy, recording on); `agent`: gateway → agent, both profiled (one pgbench
# run each). Each runs under `perf record` for DURATION seconds; printed for
# each (bench/perf-lib.sh): CPU µs per transaction, split by binary (kernel,
# node, libc, JavaScript), by symbol and by JavaScript function.
# bench/perf-mysql.sh is the MySQL counterpart.
#
# Needs root (perf). Environment: MODE (simple | prepared), DURATION (s per
# process, default 8), CLIENTS (8), JOBS (2), SCALE (10), TOP (30),
# CONNECTION (bench | bench_mask; the gateway path), PATHS, CALLERS (a symbol,
# e.g. Builtins_KeyedLoadIC_Megamorphic: records call graphs and prints who calls it).
set -euo pipefail

MODE=${MODE:-simple}
PATHS=${PATHS:-pipe gateway}
DURATION=${DURATION:-8}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
SCALE=${SCALE:-10}
TOP=${TOP:-30}
CONNECTION=${CONNECTION:-bench}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=warden_bench_perf

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-perf.XXXXXX)
PIDS=()
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/agent-lib.sh
source "$ROOT/bench/agent-lib.sh"
# shellcheck source=bench/perf-lib.sh
source "$ROOT/bench/perf-lib.sh"
bench_on_exit() { dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"
log() { echo "[perf-pg] $*" >&2; }

command -v perf >/dev/null || { log "perf is not installed"; exit 1; }
dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

# pg_load warm|run: pgbench -S through $URL (2 s to warm up, else DURATION s); `run` ends with `TX TPS`.
pg_load() {
  local seconds=$DURATION out
  [[ $1 == warm ]] && seconds=2
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$seconds" -M "$MODE" "$URL" 2>&1) || { echo "$out" >&2; return 1; }
  awk '/^number of transactions actually processed: / { n = $6 } /^tps/ { t = $3 } END { print n, t }' <<<"$out"
}

# profile NAME PID URL: pgbench through URL with PID under perf (perf-lib.sh's tables).
profile() {
  URL=$3
  perf_profile "$1" "$2" pg_load
}

BASE=$TMP
has_path() { [[ " $PATHS " == *" $1 "* ]]; }

if has_path pipe; then
  port=$(free_port)
  # shellcheck disable=SC2086
  (cd "$BASE" && exec node $PERF_NODE_ARGS "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$PG_PORT") >"$BASE/pipe.log" 2>&1 &
  pipe_pid=$!
  PIDS+=("$pipe_pid")
  wait_for_port "$port" "$pipe_pid" || { log "the bare pipe did not start: $(cat "$BASE/pipe.log")"; exit 1; }
  profile pipe "$pipe_pid" "postgresql://$PG_USER@127.0.0.1:$port/$DB?sslmode=disable"
  kill "$pipe_pid"
fi

export WARDEN_CWD=$BASE WARDEN_NODE_ARGS=$PERF_NODE_ARGS AGENT_NODE_ARGS=$PERF_NODE_ARGS
if has_path gateway; then
  mkdir -p "$BASE/data"
  write_warden_config "$BASE/warden.yaml" "$BASE/data"
  start_warden "$BASE/warden.yaml"
  token=$(warden_access bench "$DB" bench bench_mask)
  profile gateway "$WARDEN_PID" "postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/$CONNECTION?sslmode=disable"
  kill "$WARDEN_PID"
fi

if has_path agent; then
  start_agent_stack "$BASE/stack" "$PG_PORT" "$DB" bench
  TMP=$BASE
  url="postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/bench_agent?sslmode=disable"
  profile via-agent-gateway "$WARDEN_PID" "$url"
  profile via-agent-agent "$AGENT_PID" "$url"
  stop_agent_stack
fi
