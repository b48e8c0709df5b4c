#!/usr/bin/env bash
# Where the gateway's CPU goes on the wire, next to a bare pipe's, by `perf`.
#
# Runs `pgbench -S` (MODE, default simple) through each of PATHS (default
# "pipe gateway"): the bare pipe; the gateway (the bundle, bench/warden-lib.sh's
# policy, recording on); `agent`: gateway → agent, both profiled (one pgbench
# run each). Each runs under `perf record` for DURATION seconds; printed for
# each: CPU µs per
# transaction, the split by binary (kernel, node, libc, JIT code…), and the
# top symbols in µs per transaction. JavaScript names come from
# `--perf-prof` jitdumps (`perf inject --jit`), which stay right where
# `--perf-basic-prof` maps went stale on this machine (docs/performance.md,
# session 18).
#
# V8's own profiler (bench/profile.sh) is of little use on the wire here: its
# samples land on the socket writes' syscalls (~53 % `writeBuffer`).
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
bench_on_exit() { dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"
log() { echo "[perf-pg] $*" >&2; }

command -v perf >/dev/null || { log "perf is not installed"; exit 1; }
dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

# profile NAME PID URL: pgbench through URL for DURATION s with PID under perf; prints its tables.
profile() {
  local name=$1 pid=$2 url=$3 t0 t1 n out us
  # Warm up (JIT, caches) before the window.
  pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T 2 -M "$MODE" "$url" >/dev/null 2>&1
  # shellcheck disable=SC2086
  perf record -q -k 1 -F 2999 ${CALLERS:+-g} -o "$TMP/$name.data" -p "$pid" >/dev/null 2>&1 &
  local perf_pid=$!
  sleep 0.5
  t0=$(cpu_ticks "$pid")
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M "$MODE" "$url" 2>&1) || { echo "$out" >&2; exit 1; }
  t1=$(cpu_ticks "$pid")
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
  us=$(us_per_tx "$((t1 - t0))" "$n")
  echo
  echo "== $name: $(grep -E '^tps' <<<"$out" | cut -d' ' -f3) tps, $us CPU µs/tx ($n tx)"
  # The jitdump is in the process's working directory ($TMP, below).
  perf inject --jit -i "$TMP/$name.data" -o "$TMP/$name.jit.data" 2>"$TMP/$name.inject.log" || cp "$TMP/$name.data" "$TMP/$name.jit.data"
  # `head` closes perf report's pipe early: not a failure.
  set +o pipefail
  # perf inject puts each JIT-compiled function in a jitted-PID-N.so of its own: summed as "JavaScript (JIT)".
  echo "-- by binary (µs/tx)"
  perf report -q -i "$TMP/$name.jit.data" --no-children --sort dso 2>/dev/null |
    awk -v us="$us" 'NF >= 2 { p = $1; sub(/%/, "", p); $1 = ""; d = $0; if (d ~ /jitted-|\[JIT\]/) d = " JavaScript (JIT)"; t[d] += p * us / 100 }
      END { for (d in t) if (t[d] >= 0.05) printf "%6.2f %s\n", t[d], d }' | sort -rn
  echo "-- top symbols (µs/tx)"
  perf report -q -i "$TMP/$name.jit.data" --no-children --sort sym --percent-limit 0.3 2>/dev/null | head -n "$TOP" |
    awk -v us="$us" 'NF >= 2 { p = $1; sub(/%/, "", p); $1 = ""; printf "%6.2f  %s\n", p * us / 100, $0 }'
  echo "-- top JavaScript (µs/tx)"
  perf report -q -i "$TMP/$name.jit.data" --no-children --sort dso,sym 2>/dev/null | { grep -E 'jitted-|\[JIT\]' || true; } | head -n "$TOP" |
    awk -v us="$us" '{ p = $1; sub(/%/, "", p); $1 = ""; $2 = ""; printf "%6.2f  %s\n", p * us / 100, $0 }'
  echo "-- top in node itself: V8 builtins and runtime, GC, libuv (µs/tx)"
  perf report -q -i "$TMP/$name.jit.data" --no-children --dsos node --sort sym 2>/dev/null | head -n "$TOP" |
    awk -v us="$us" 'NF >= 2 { p = $1; sub(/%/, "", p); $1 = ""; printf "%6.2f  %s\n", p * us / 100, $0 }'
  if [[ -n ${CALLERS:-} ]]; then
    echo "-- callers of $CALLERS (% of all samples)"
    perf report -q -i "$TMP/$name.jit.data" --no-children --sort sym --symbols "$CALLERS" -g caller,0.5,callee,function,percent --stdio 2>/dev/null | head -n 80
  fi
}

BASE=$TMP
has_path() { [[ " $PATHS " == *" $1 "* ]]; }

if has_path pipe; then
  port=$(free_port)
  (cd "$BASE" && exec node --perf-prof --perf-prof-unwinding-info "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$PG_PORT") >"$BASE/pipe.log" 2>&1 &
  pipe_pid=$!
  PIDS+=("$pipe_pid")
  sleep 0.5
  profile pipe "$pipe_pid" "postgresql://$PG_USER@127.0.0.1:$port/$DB?sslmode=disable"
  kill "$pipe_pid"
fi

export WARDEN_CWD=$BASE WARDEN_NODE_ARGS="--perf-prof --perf-prof-unwinding-info" AGENT_NODE_ARGS="--perf-prof --perf-prof-unwinding-info"
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
[[ -n ${KEEP:-} ]] && cp "$BASE"/*.inject.log "$KEEP"/ 2>/dev/null
true
