#!/usr/bin/env bash
# What the agent link costs: `pgbench -S -c $CLIENTS` (simple protocol) against
#   direct        PostgreSQL at 127.0.0.1:5432
#   two-pipes     two bare Node.js pipes chained (bench/bare-pipe.mjs twice): the floor
#                 for any two-hop Node.js path, which is what gateway→agent is
#   gateway       the Warden gateway dialing PostgreSQL itself (policy, classification, recording)
#   gateway+pipe  the same gateway dialing PostgreSQL through one bare pipe: the same hops and
#                 the same L7 work as via-agent, with the tunnel replaced by a relay that
#                 understands nothing — so via-agent/gateway+pipe is what multiplexing, flow
#                 control and framing cost (issue 6's question)
#   via-agent     the same gateway reaching PostgreSQL through a `warden agent` link
#                 (WebSocket, one multiplexed flow-controlled stream per session)
# measured INTERLEAVED: ROUNDS rounds, each running a SLICE-second pgbench per path, in the
# listed order in odd rounds and reversed in even ones, so load drift on a shared machine hits
# every path alike. Each path's TPS is its summed transactions over its summed elapsed time,
# its latency the transaction-weighted mean, and its CPU µs/tx, for the Node.js processes, the
# sum over the processes of that path, then each one's (pipe 1 + pipe 2; the gateway; gateway
# + pipe; gateway + agent): a figure less noisy than TPS on a shared machine. The gateway paths
# get a WARMUP-second (default 3) unmeasured run each first. Prints the rounds, the totals, the
# per-round ratios' medians, the two pipes' CPU per transaction over via-agent's (the TPS ratio
# follows it: each hop is a single-threaded queue every transaction crosses twice),
# via-agent/two-pipes with a 90 % interval over the rounds and whether
# that meets ≥ 0.95, misses it or cannot tell (bench/ratio-interval.mjs), the tunnel's CPU against
# the bare relay's (each process of via-agent against its counterpart in gateway+pipe), then
# `via-agent/gateway+pipe ratio: X` and, as the LAST line always, `via-agent/two-bare-pipes ratio: X` (TPS of via-agent over TPS of two-pipes, from the
# totals) or `via-agent/two-bare-pipes ratio: n/a (…)`. A bench, not a test: on 2 shared
# cores the figures move with whatever else runs.
#
# Environment: ROUNDS (default 5), DURATION (s per path over all rounds, default 30), SLICE (s per
# path and round, default DURATION/ROUNDS but at least 3; so ~3.5 minutes in all), SCALE (pgbench
# -s, 10), CLIENTS (8), JOBS (2), DB (the pgbench database, default warden_bench_agent),
# KEEP_DB=1 (keep it), WARDEN_NODE_ARGS /
# AGENT_NODE_ARGS (extra node flags for the gateway / the agent, e.g. "--cpu-prof
# --cpu-prof-dir=/tmp/prof": the profiles are written when both stop at the end), ONLY_AGENT=1
# (via-agent only: for profiles), PATHS (a subset of the paths above, in that order).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, pgbench, psql, node.
# Every process started here is killed on exit.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-30}
SLICE=${SLICE:-$((DURATION / ROUNDS > 3 ? DURATION / ROUNDS : 3))}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=${DB:-warden_bench_agent}
if [[ ${ONLY_AGENT:-0} == 1 ]]; then PATHS=via-agent; fi
read -r -a PATH_LIST <<<"${PATHS:-direct two-pipes gateway gateway+pipe via-agent}"

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

wants() { [[ " ${PATH_LIST[*]} " == *" $1 "* ]]; }

# start_pipe PORT_VAR PID_VAR UPSTREAM_PORT: a bare pipe on a free port to 127.0.0.1:UPSTREAM_PORT.
start_pipe() {
  local port pid
  port=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$3" >>"$TMP/pipes.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_for_pg "$port" "$DB" "$pid" || { log "a bare pipe did not start: $(cat "$TMP/pipes.log")"; exit 1; }
  printf -v "$1" %s "$port"
  printf -v "$2" %s "$pid"
}

# slice TARGET: one SLICE-second pgbench against URL[TARGET], adding its transactions, elapsed
# time, weighted latency and each of PROCS[TARGET]'s CPU ticks to the totals; prints the
# round's `tps µs/tx` for the path.
declare -A URL PROCS TX ELAPSED LW TICKS TPS LAT CPU ROUND_TPS ROUND_CPU
slice() {
  local target=$1 out n tps lat pid i=0 t sum=0
  local -a pids t0
  read -r -a pids <<<"${PROCS[$target]:-}"
  for pid in "${pids[@]}"; do t0+=("$(cpu_ticks "$pid")"); done
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$SLICE" -M simple "${URL[$target]}" 2>&1) ||
    { log "pgbench against $target failed:"; echo "$out" >&2; return 1; }
  n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
  tps=$(awk '/^tps = / {print $3; exit}' <<<"$out")
  lat=$(awk '/^latency average = / {print $4; exit}' <<<"$out")
  [[ -n $n && $n -gt 0 && -n $tps ]] || { log "pgbench against $target processed nothing:"; echo "$out" >&2; return 1; }
  for pid in "${pids[@]}"; do
    t=$(cpu_ticks "$pid")
    [[ -n $t ]] || { log "$target: process $pid is gone"; return 1; }
    TICKS[$target/$i]=$((${TICKS[$target/$i]:-0} + t - t0[i]))
    sum=$((sum + t - t0[i]))
    i=$((i + 1))
  done
  TX[$target]=$((${TX[$target]:-0} + n))
  ELAPSED[$target]=$(awk -v a="${ELAPSED[$target]:-0}" -v n="$n" -v t="$tps" 'BEGIN { printf "%.6f", a + n / t }')
  LW[$target]=$(awk -v a="${LW[$target]:-0}" -v l="$lat" -v n="$n" 'BEGIN { printf "%.6f", a + l * n }')
  ROUND_TPS[$target]=$tps
  ROUND_CPU[$target]=-
  ((${#pids[@]} == 0)) || ROUND_CPU[$target]=$(us_per_tx "$sum" "$n")
}

# warm_up URL: a short unmeasured run, so the measured ones do not pay for JIT and lazy loading.
warm_up() {
  pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M simple "$1" >/dev/null 2>&1 || true
}

# ratio A B: A/B with 2 decimals ('' when either is missing).
ratio() { [[ -n ${1:-} && -n ${2:-} ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

log "creating database $DB (pgbench -i -s $SCALE)"
dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

URL[direct]="postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB"
if wants two-pipes; then
  # client → pipe 1 → pipe 2 → PostgreSQL.
  start_pipe p2 pipe2 "$PG_PORT"
  start_pipe p1 pipe1 "$p2"
  URL[two-pipes]="postgresql://$PG_USER@127.0.0.1:$p1/$DB"
  PROCS[two-pipes]="$pipe1 $pipe2"
fi

# The gateway (the pgbench.sh config; user bench, direct connection `bench`), the connection
# `bench_agent` to the same database through agent `bench-edge`, and `bench_pipe` through a
# third bare pipe.
why="the gateway or the agent did not start"
gateway_up=0
if wants gateway || wants gateway+pipe || wants via-agent; then
  start_pipe p3 pipe3 "$PG_PORT"
  if start_agent_stack "$BASE/stack" "$PG_PORT" "$DB" bench &&
    api POST /api/v1/connections "{\"name\":\"bench_pipe\",\"type\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":$p3,\"database\":\"$DB\",\"username\":\"$PG_USER\",\"tls\":\"disable\"}" >/dev/null; then
    gateway_up=1
    gw=postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT
    URL[gateway]="$gw/bench?sslmode=disable" PROCS[gateway]=$WARDEN_PID
    URL[gateway+pipe]="$gw/bench_pipe?sslmode=disable" PROCS[gateway+pipe]="$WARDEN_PID $pipe3"
    URL[via-agent]="$gw/bench_agent?sslmode=disable" PROCS[via-agent]="$WARDEN_PID $AGENT_PID"
    for t in gateway gateway+pipe via-agent; do wants "$t" && warm_up "${URL[$t]}"; done
  fi
fi
RUN=()
for t in "${PATH_LIST[@]}"; do
  case $t in
    direct | two-pipes) RUN+=("$t") ;;
    gateway | gateway+pipe | via-agent) [[ $gateway_up == 0 ]] || RUN+=("$t") ;;
    *) log "unknown path $t (PATHS)"; exit 2 ;;
  esac
done

log "${RUN[*]} interleaved: $ROUNDS rounds of ${SLICE}s per path"
ROUND_LINES=()
declare -A ROUND_RATIOS ROUND_PAIRS
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${RUN[@]}")
  if ((r % 2 == 0)); then
    order=()
    for ((i = ${#RUN[@]} - 1; i >= 0; i--)); do order+=("${RUN[i]}"); done
  fi
  for t in "${order[@]}"; do slice "$t"; done
  line=$(printf 'round %-2d' "$r")
  for t in "${RUN[@]}"; do line+=$(printf ' %9.0f %6s' "${ROUND_TPS[$t]}" "${ROUND_CPU[$t]}"); done
  ROUND_LINES+=("$line")
  for b in gateway+pipe two-pipes; do
    [[ -z ${ROUND_TPS[via-agent]:-} || -z ${ROUND_TPS[$b]:-} ]] || {
      ROUND_RATIOS[$b]+="$(ratio "${ROUND_TPS[via-agent]}" "${ROUND_TPS[$b]}") "
      ROUND_PAIRS[$b]+="${ROUND_TPS[via-agent]}:${ROUND_TPS[$b]} "
    }
  done
done

for t in "${RUN[@]}"; do
  TPS[$t]=$(awk -v n="${TX[$t]}" -v e="${ELAPSED[$t]}" 'BEGIN { printf "%.1f", n / e }')
  LAT[$t]=$(awk -v w="${LW[$t]}" -v n="${TX[$t]}" 'BEGIN { printf "%.3f", w / n }')
  read -r -a pids <<<"${PROCS[$t]:-}"
  CPU[$t]=-
  if ((${#pids[@]})); then
    parts=() sum=0
    for ((i = 0; i < ${#pids[@]}; i++)); do
      parts+=("$(us_per_tx "${TICKS[$t/$i]}" "${TX[$t]}")")
      sum=$((sum + TICKS[$t/$i]))
    done
    CPU[$t]=$(us_per_tx "$sum" "${TX[$t]}")
    ((${#pids[@]} == 1)) || CPU[$t]+=" ($(IFS=+; echo "${parts[*]}"))"
  fi
done
[[ $gateway_up == 0 ]] || stop_agent_stack

echo
echo "pgbench -S -c $CLIENTS -j $JOBS -M simple, scale $SCALE, $(nproc) CPUs; $ROUNDS interleaved rounds of ${SLICE}s per path"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s' 'tps,µs/tx'
for t in "${RUN[@]}"; do printf ' %16s' "$t"; done
echo
for line in "${ROUND_LINES[@]}"; do echo "$line"; done
echo
printf '%-13s %12s %14s  %s\n' target tps 'latency (ms)' 'node CPU µs/tx'
for t in "${RUN[@]}"; do printf '%-13s %12s %14s  %s\n' "$t" "${TPS[$t]}" "${LAT[$t]}" "${CPU[$t]}"; done
echo
for b in gateway+pipe two-pipes; do
  [[ -z ${ROUND_RATIOS[$b]:-} ]] || echo "per-round via-agent/$b: $(spread "${ROUND_RATIOS[$b]}")"
done
[[ -z ${CPU[two-pipes]:-} || -z ${CPU[via-agent]:-} ]] || echo "node CPU per tx, two-pipes/via-agent: $(ratio "${CPU[two-pipes]%% *}" "${CPU[via-agent]%% *}")"
# shellcheck disable=SC2086
[[ -z ${ROUND_PAIRS[two-pipes]:-} ]] || echo "via-agent/two-pipes $(node "$ROOT/bench/ratio-interval.mjs" 0.95 ${ROUND_PAIRS[two-pipes]})"
if [[ -n ${TPS[via-agent]:-} && -n ${TPS[gateway+pipe]:-} ]]; then
  # The tunnel's own CPU, from the totals: each side of via-agent against its counterpart in gateway+pipe.
  us() { us_per_tx "${TICKS[$1/$2]}" "${TX[$1]}"; }
  awk -v g="$(us via-agent 0)" -v gp="$(us gateway+pipe 0)" -v a="$(us via-agent 1)" -v p="$(us gateway+pipe 1)" 'BEGIN {
    printf "the tunnel against a bare relay, CPU µs/tx: gateway %.1f via the agent vs %.1f via the pipe (%+.1f), agent %.1f vs pipe %.1f (%+.1f), in all %+.1f\n", g, gp, g - gp, a, p, a - p, g + a - gp - p }'
  echo "via-agent/gateway+pipe ratio: $(ratio "${TPS[via-agent]}" "${TPS[gateway+pipe]}")"
fi
if [[ -z ${TPS[via-agent]:-} ]]; then
  if [[ $gateway_up == 0 ]] && wants via-agent; then ratio="n/a ($why)"; else ratio="n/a (via-agent skipped)"; fi
elif [[ -z ${TPS[two-pipes]:-} ]]; then
  ratio="n/a (two-pipes skipped)"
else
  ratio=$(ratio "${TPS[via-agent]}" "${TPS[two-pipes]}")
fi
echo "via-agent/two-bare-pipes ratio: $ratio"
