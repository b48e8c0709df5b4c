#!/usr/bin/env bash
# What the agent link costs: `pgbench -S -c $CLIENTS` (simple protocol), one run each, against
#   direct        PostgreSQL at 127.0.0.1:5432
#   gateway       the Warden gateway dialing PostgreSQL itself (policy, classification, recording)
#   via-agent     the same gateway reaching PostgreSQL through a `warden agent` link
#                 (WebSocket, one multiplexed flow-controlled stream per session)
#   two-pipes     two bare Node.js pipes chained (bench/bare-pipe.mjs twice): the floor
#                 for any two-hop Node.js path, which is what gateway→agent is
# and prints TPS, average latency and, for the Node.js processes, CPU µs per transaction
# (the sum over the processes of that path, then each one's: pipe 1 + pipe 2; the gateway;
# gateway + agent), a figure less noisy than TPS on a shared machine. The gateway paths get a
# WARMUP-second (default 3) unmeasured run first. The LAST line is always
# `via-agent/two-bare-pipes ratio: X` (TPS of via-agent over TPS of two-pipes) or
# `via-agent/two-bare-pipes ratio: n/a (…)`. A bench, not a test: on 2 shared cores the
# figures move with whatever else runs.
#
# Environment: DURATION (s, default 15), SCALE (pgbench -s, 10), CLIENTS (8), JOBS (2),
# DB (the pgbench database, default warden_bench_agent), KEEP_DB=1 (keep it), WARDEN_NODE_ARGS / AGENT_NODE_ARGS (extra
# node flags for the gateway / the agent, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": the
# profiles are written when both stop at the end), ONLY_AGENT=1 (via-agent only: for profiles).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, pgbench, psql, node.
# Every process started here is killed on exit.
set -euo pipefail

DURATION=${DURATION:-15}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=${DB:-warden_bench_agent}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=$(mktemp -d /tmp/warden-bench-agent.XXXXXX)
TMP=$BASE
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
bench_on_exit() { [[ "${KEEP_DB:-0}" == 1 ]] || dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null; }
bench_cleanup_on_exit "$BASE"

log() { echo "[bench-agent] $*" >&2; }
# shellcheck source=bench/agent-lib.sh
source "$ROOT/bench/agent-lib.sh"

declare -A TPS LAT CPU
# run_pgbench TARGET URL [PID…]: one pgbench run; each PID's CPU is divided by its transactions
# (CPU[TARGET] = the sum, then each process's share in parentheses).
run_pgbench() {
  local target=$1 url=$2 out n pid total=0 parts=() us
  shift 2
  local -A t0
  log "$target: pgbench -S -c $CLIENTS, ${DURATION}s"
  for pid in "$@"; do t0[$pid]=$(cpu_ticks "$pid"); done
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M simple "$url" 2>&1) || { log "pgbench against $target failed:"; echo "$out" >&2; return 1; }
  TPS[$target]=$(awk '/^tps = / {print $3; exit}' <<<"$out")
  LAT[$target]=$(awk '/^latency average = / {print $4; exit}' <<<"$out")
  n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
  for pid in "$@"; do
    us=$(awk -v a="${t0[$pid]}" -v b="$(cpu_ticks "$pid")" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
    total=$(awk -v a="$total" -v b="$us" 'BEGIN { print a + b }')
    parts+=("$us")
  done
  CPU[$target]=-
  if [[ $# -gt 1 ]]; then
    CPU[$target]="$total ($(IFS=+; echo "${parts[*]}"))"
  elif [[ $# -eq 1 ]]; then
    CPU[$target]=$total
  fi
}

# warm_up URL: a short unmeasured run, so the measured one does not pay for JIT and lazy loading.
warm_up() {
  pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M simple "$1" >/dev/null 2>&1 || true
}

log "creating database $DB (pgbench -i -s $SCALE)"
dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

if [[ ${ONLY_AGENT:-0} != 1 ]]; then
  run_pgbench direct "postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB"

  # Two bare pipes chained: client → pipe 1 → pipe 2 → PostgreSQL.
  p2=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$p2" "$PG_HOST" "$PG_PORT" >"$TMP/pipe2.log" 2>&1 &
  PIDS+=($!)
  pipe2=$!
  wait_for_pg "$p2" "$DB" || { log "pipe 2 did not start"; exit 1; }
  p1=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$p1" 127.0.0.1 "$p2" >"$TMP/pipe1.log" 2>&1 &
  PIDS+=($!)
  pipe1=$!
  wait_for_pg "$p1" "$DB" || { log "pipe 1 did not start"; exit 1; }
  run_pgbench two-pipes "postgresql://$PG_USER@127.0.0.1:$p1/$DB" "$pipe1" "$pipe2"
fi

# The gateway (the pgbench.sh config; user bench, direct connection `bench`) and the
# connection `bench_agent` to the same database through agent `bench-edge`.
ratio="n/a (the gateway or the agent did not start)"
if start_agent_stack "$BASE/stack" "$PG_PORT" "$DB" bench; then
  gw_url="postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/bench?sslmode=disable"
  agent_url="postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/bench_agent?sslmode=disable"
  [[ ${ONLY_AGENT:-0} == 1 ]] || warm_up "$gw_url"
  warm_up "$agent_url"
  [[ ${ONLY_AGENT:-0} == 1 ]] || run_pgbench gateway "$gw_url" "$WARDEN_PID"
  run_pgbench via-agent "$agent_url" "$WARDEN_PID" "$AGENT_PID"
  if [[ -n ${TPS[two-pipes]:-} ]]; then
    ratio=$(awk -v a="${TPS[via-agent]}" -v b="${TPS[two-pipes]}" 'BEGIN { printf "%.2f", a / b }')
  else
    ratio="n/a (two-pipes skipped)"
  fi
  stop_agent_stack
fi

printf '%-10s %12s %14s  %s\n' target tps 'latency (ms)' 'node CPU µs/tx'
for t in direct two-pipes gateway via-agent; do
  if [[ -n ${TPS[$t]:-} ]]; then printf '%-10s %12s %14s  %s\n' "$t" "${TPS[$t]}" "${LAT[$t]}" "${CPU[$t]}"; fi
done
echo "via-agent/two-bare-pipes ratio: $ratio"
