#!/usr/bin/env bash
# A/B of two checkouts' MySQL gateways in one session: CPU per transaction.
#
# Usage: bench/mysql-ab.sh ROOT_A ROOT_B
# Starts bench/bare-pipe.mjs and one Warden gateway from each ROOT (each
# runs its own bin/warden.mjs: its dist/ bundle when that is current, so
# build both with `node scripts/build.mjs` in each checkout for bundle
# figures), configured as bench/mysql.sh does (recording on, one allow
# rule), then runs `sysbench oltp_point_select` against pipe, A and B in
# turn (pipe, A, B in odd rounds, B, A, pipe in even ones), ROUNDS times per mode,
# so that load changes hit all three alike.
# Prints each run's TPS and the proxy's CPU µs/tx (/proc/<pid>/stat user +
# system), then the median CPU µs/tx per target and mode, and per mode in how many
# rounds B's was below A's.
#
# Environment: MODES ("text prepared"), ROUNDS (3), DURATION (s per run, 10),
# THREADS (8), TABLE_SIZE (10000), WARMUP (s per gateway and mode before the
# rounds, unmeasured; 3), PAIRED (1: A and B are loaded at the same time,
# THREADS each, and the median of the per-round differences B - A is printed
# too; on a machine whose load swings from run to run, a pair shares the swing
# and the difference keeps what each gateway costs).
# A_NODE_ARGS / B_NODE_ARGS pass node flags to one gateway (ROOT_A and ROOT_B may then be the
# same checkout).
# Its tables live in a database of their own
# (BENCH_DB, default my_ab_<pid>), dropped on exit; every process started here is killed.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 ROOT_A ROOT_B" >&2; exit 2; }
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
MODES=${MODES:-text prepared}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
THREADS=${THREADS:-8}
TABLE_SIZE=${TABLE_SIZE:-10000}
WARMUP=${WARMUP:-3}
PAIRED=${PAIRED:-0}
MY_HOST=127.0.0.1
MY_PORT=3306
DB=${BENCH_DB:-my_ab_$$}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-mysql-ab.XXXXXX)
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/mysql-lib.sh
source "$ROOT/bench/mysql-lib.sh"
bench_on_exit() { mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "drop database if exists $DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"

log() { echo "[ab] $*" >&2; }

declare -A PORT PID USER PASS DBNAME

# start_gateway NAME ROOT: a gateway from that checkout, with user bench, its token and connection bench.
start_gateway() {
  local name=$1 root=$2 dir="$TMP/$1" port i
  mkdir -p "$dir/data"
  port=$(free_port)
  write_mysql_warden_config "$dir/warden.yaml" "$dir/data" "$port"
  local -n node_args="${name}_NODE_ARGS"
  # A_NODE_ARGS / B_NODE_ARGS: node flags for one side only (one checkout against itself with a V8 flag, say).
  # shellcheck disable=SC2086
  (cd "$root" && exec node ${node_args:-} bin/warden.mjs gateway --config "$dir/warden.yaml" --json) >"$dir/warden.json" 2>"$dir/warden.log" &
  PID[$name]=$!
  PIDS+=("${PID[$name]}")
  for ((i = 0; i < 900; i++)); do
    [[ -s $dir/warden.json ]] && break
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $dir/warden.json ]] || { log "gateway $name did not start:"; tail -n 20 "$dir/warden.log" >&2; return 1; }
  wait_for_port "$port" "${PID[$name]}" || { log "gateway $name does not answer on $port"; return 1; }
  PASS[$name]=$(mysql_bench_access "$root" "$(json_field "$dir/warden.json" o.api)" "$(json_field "$dir/warden.json" o.bootstrapToken)" "$dir/setup.log") || return 1
  PORT[$name]=$port USER[$name]=bench DBNAME[$name]=bench
}

# sysbench_run TARGET MODE SECONDS: prints "TPS CPU_US_PER_TX".
sysbench_run() {
  local target=$1 mode=$2 seconds=$3 ps=disable out t0 t1 n
  [[ $mode == prepared ]] && ps=auto
  t0=$(cpu_ticks "${PID[$target]}")
  # LIBMYSQL_PLUGINS: see bench/mysql.sh (concurrent plugin loads race in libmariadb).
  out=$(LIBMYSQL_PLUGINS=mysql_clear_password sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 \
    --mysql-port="${PORT[$target]}" --mysql-user="${USER[$target]}" --mysql-password="${PASS[$target]}" \
    --mysql-db="${DBNAME[$target]}" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" --threads="$THREADS" \
    --time="$seconds" --db-ps-mode="$ps" run 2>&1) || { echo "$out" >&2; return 1; }
  t1=$(cpu_ticks "${PID[$target]}")
  n=$(awk '/transactions:/ { print $2; exit }' <<<"$out")
  awk -v tps="$(awk '/transactions:/ { gsub(/\(/, "", $3); print $3; exit }' <<<"$out")" -v a="$t0" -v b="$t1" -v n="$n" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f %.1f\n", tps, (b - a) * 1e6 / hz / n }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "create database $DB"
sysbench oltp_point_select --db-driver=mysql --mysql-host="$MY_HOST" --mysql-port="$MY_PORT" --mysql-user=root \
  --mysql-db="$DB" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" prepare >"$TMP/prepare.log" 2>&1 ||
  { cat "$TMP/prepare.log" >&2; exit 1; }

PORT[pipe]=$(free_port)
node "$ROOT/bench/bare-pipe.mjs" "${PORT[pipe]}" "$MY_HOST" "$MY_PORT" >"$TMP/pipe.log" 2>&1 &
PID[pipe]=$!
PIDS+=("${PID[pipe]}")
wait_for_port "${PORT[pipe]}" "${PID[pipe]}" || { log "bare pipe did not start"; exit 1; }
USER[pipe]=root PASS[pipe]='' DBNAME[pipe]=$DB
start_gateway A "$A"
start_gateway B "$B"
log "A = $A, B = $B; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for mode in $MODES; do
  for target in A B; do sysbench_run "$target" "$mode" "$WARMUP" >/dev/null; done
done
declare -A RUNS DIFFS
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in $MODES; do
    if [[ $PAIRED == 1 ]]; then
      read -r tps cpu < <(sysbench_run pipe "$mode" "$DURATION")
      log "round $r $mode pipe: $tps tps, $cpu µs/tx"
      RUNS[pipe/$mode]+="$cpu "
      # A and B under load at the same time: whatever else the machine does hits both alike.
      sysbench_run A "$mode" "$DURATION" >"$TMP/paired.A" &
      sysbench_run B "$mode" "$DURATION" >"$TMP/paired.B"
      wait $!
      read -r tpsA cpuA <"$TMP/paired.A"
      read -r tpsB cpuB <"$TMP/paired.B"
      log "round $r $mode A and B together: A $tpsA tps, $cpuA µs/tx; B $tpsB tps, $cpuB µs/tx"
      RUNS[A/$mode]+="$cpuA "
      RUNS[B/$mode]+="$cpuB "
      DIFFS[$mode]+="$(awk -v a="$cpuA" -v b="$cpuB" 'BEGIN { printf "%.1f", b - a }') "
      continue
    fi
    # Which goes first alternates, so neither always runs right after the other (or right after the pipe).
    order=(pipe A B)
    ((r % 2)) || order=(B A pipe)
    for target in "${order[@]}"; do
      read -r tps cpu < <(sysbench_run "$target" "$mode" "$DURATION")
      log "round $r $mode $target: $tps tps, $cpu µs/tx"
      RUNS[$target/$mode]+="$cpu "
    done
  done
done
echo "sysbench oltp_point_select --threads=$THREADS --time=$DURATION, $ROUNDS rounds; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-9s %14s   %s\n' target mode 'median µs/tx' runs
for mode in $MODES; do
  for target in pipe A B; do
    printf '%-6s %-9s %14s   %s\n' "$target" "$mode" "$(tr ' ' '\n' <<<"${RUNS[$target/$mode]}" | grep . | median)" "${RUNS[$target/$mode]}"
  done
done
if [[ $PAIRED == 1 ]]; then
  for mode in $MODES; do
    printf 'B - A     %-9s %14s   %s\n' "$mode" "$(tr ' ' '\n' <<<"${DIFFS[$mode]}" | grep . | median)" "${DIFFS[$mode]}"
  done
fi
for mode in $MODES; do
  # Round by round: in how many rounds B's CPU per transaction was below A's.
  echo "$mode: B below A in $(paste -d' ' <(tr ' ' '\n' <<<"${RUNS[A/$mode]}" | grep .) <(tr ' ' '\n' <<<"${RUNS[B/$mode]}" | grep .) |
    awk '$2 < $1 { w++ } END { print w + 0 " of " NR }') rounds"
done
