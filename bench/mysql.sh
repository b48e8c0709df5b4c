#!/usr/bin/env bash
# MySQL/MariaDB throughput of Warden against the bare pipe, measured interleaved.
#
# Runs `sysbench oltp_point_select` (prepared: --db-ps-mode=auto, text:
# --db-ps-mode=disable) against:
#   direct   the machine's MariaDB at 127.0.0.1:3306 (root, no password): one
#            run of DURATION s per mode, a reference only
#   pipe     bench/bare-pipe.mjs, the floor for any Node.js relay built on streams (PIPE=bench/onread-pipe.mjs:
#            the stricter one, reading as Warden does)
#   warden   the Warden gateway's MySQL listener, recording on, an explicit
#            allow rule for the bench connection
# pipe and warden are measured interleaved, because the pipe's own cost moved by
# ~4 µs/tx between consecutive 10 s runs (issue 8): after WARMUP s of unmeasured load
# on each, ROUNDS rounds, each running, per mode, a SLICE-second sysbench through the
# pipe and one through Warden, the pipe first in odd rounds and Warden first in even
# ones. Each row's TPS is its summed transactions over its summed elapsed time, its
# latency the transaction-weighted mean, and its CPU µs/tx the proxy's CPU ticks
# (/proc/<pid>/stat, user + system) during its slices over its transactions.
# Prints per slice TPS and CPU µs/tx, the totals, then per mode: warden/pipe from the
# totals (the ratio of the sums), the median and range of the per-round ratios, the
# rounds at the target (warden/pipe ≥ 0.95 in that round), Warden's CPU above the
# pipe's per transaction, and the pipe's CPU per transaction over Warden's (the TPS
# ratio follows it: the proxy is a single-threaded queue every transaction crosses
# twice); then per mode the ratio with a 90 % interval over the rounds and
# whether that meets the target, misses it or cannot tell (bench/ratio-interval.mjs). The
# LAST line is always `warden/pipe ratio: X`: the ratio of
# the summed TPS (warden total / pipe total), the lower of the two modes, or
# `warden/pipe ratio: n/a (…)`.
# The sysbench tables live in a database of their own (BENCH_DB, default
# warden_sysbench_<pid>), created here and dropped on exit.
#
# Environment: PIPE (the pipe script, default bench/bare-pipe.mjs), DURATION (s per
# mode for direct, default 5), ROUNDS (10), SLICE (s per slice, 3), WARMUP (s per target
# and mode, 2), THREADS (4), TABLE_SIZE (10000), STARTUP_S (how long the gateway may take to start, 90). The defaults take ~2.5 min.
# Needs: MariaDB on 127.0.0.1:3306, sysbench (installed with apt-get when
# missing), the mariadb CLI, node. Every process started here is killed on exit.
# The gateway runs its dist/ bundle only when that is newer than src/ (bin/warden.mjs):
# run `npm run build` first; the script says when it will run the sources instead.
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-10}
SLICE=${SLICE:-3}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
STARTUP_S=${STARTUP_S:-90}
MY_HOST=127.0.0.1
MY_PORT=3306
DB=${BENCH_DB:-warden_sysbench_$$}
TARGET=0.95

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-bench-mysql.XXXXXX)
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/mysql-lib.sh
source "$ROOT/bench/mysql-lib.sh"
bench_on_exit() { mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "drop database if exists $DB" 2>/dev/null; }
bench_cleanup_on_exit "$TMP"

log() { echo "[bench] $*" >&2; }

declare -A TPS LAT CPU TX ELAPSED ROUND_RATIOS ROUND_PAIRS AT_TARGET
declare -A PORT PID USER PASS DBNAME
ROUND_LINES=()

prepare_database() {
  if ! command -v sysbench >/dev/null; then
    log "sysbench missing: apt-get install -y sysbench"
    DEBIAN_FRONTEND=noninteractive apt-get install -y sysbench >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; return 1; }
  fi
  log "creating database $DB (sysbench prepare, $TABLE_SIZE rows)"
  mariadb --no-defaults -h "$MY_HOST" -P "$MY_PORT" -u root -e "create database $DB"
  sysbench oltp_point_select --db-driver=mysql --mysql-host="$MY_HOST" --mysql-port="$MY_PORT" --mysql-user=root \
    --mysql-db="$DB" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" prepare >"$TMP/prepare.log" 2>&1 ||
    { cat "$TMP/prepare.log" >&2; return 1; }
}

# slice TARGET MODE SECONDS: sysbench_slice against TARGET's port, with its credentials and pid.
slice() {
  sysbench_slice "${PORT[$1]}" "${USER[$1]}" "${PASS[$1]}" "${DBNAME[$1]}" "$2" "$3" "${PID[$1]:-}"
}

run_direct() {
  local mode n e t l out
  PORT[direct]=$MY_PORT USER[direct]=root PASS[direct]='' DBNAME[direct]=$DB
  for mode in text prepared; do
    log "direct, $mode, ${DURATION}s"
    out=$(slice direct "$mode" "$DURATION") || { log "sysbench against MariaDB ($mode) failed (output above)"; return 1; }
    read -r n e t l <<<"$out"
    TPS[direct/$mode]=$(awk -v n="$n" -v e="$e" 'BEGIN { printf "%.1f", n / e }') LAT[direct/$mode]=$l
  done
}

start_pipe() {
  PORT[pipe]=$(free_port)
  node "${PIPE:-$ROOT/bench/bare-pipe.mjs}" "${PORT[pipe]}" "$MY_HOST" "$MY_PORT" >"$TMP/pipe.log" 2>&1 &
  PID[pipe]=$!
  PIDS+=("${PID[pipe]}")
  wait_for_port "${PORT[pipe]}" "${PID[pipe]}" || { log "bare pipe did not start"; cat "$TMP/pipe.log" >&2; return 1; }
  USER[pipe]=root PASS[pipe]='' DBNAME[pipe]=$DB
}

start_gateway() {
  local data_dir="$TMP/warden-data" config="$TMP/warden.yaml" port i
  mkdir -p "$data_dir"
  port=$(free_port)
  write_mysql_warden_config "$config" "$data_dir" "$port"
  if [[ -n $(find "$ROOT/src" -newer "$ROOT/dist/BUILT" -type f -print -quit 2>/dev/null) || ! -e $ROOT/dist/BUILT || $ROOT/package.json -nt $ROOT/dist/BUILT ]]; then
    log "dist/ is older than src/ or package.json: the gateway runs the sources through tsx (npm run build for the bundle)"
  fi
  # Like start_warden (bench/warden-lib.sh), with a longer wait: under load, tsx's first transpile can take 20 s or more.
  (cd "$ROOT" && exec node bin/warden.mjs gateway --config "$config" --json) >"$TMP/warden.json" 2>"$TMP/warden.log" &
  PID[warden]=$!
  PIDS+=("${PID[warden]}")
  for ((i = 0; i < STARTUP_S * 10; i++)); do
    [[ -s $TMP/warden.json ]] && break
    kill -0 "${PID[warden]}" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $TMP/warden.json ]] || { log "the gateway exited or did not start within $STARTUP_S s:"; tail -n 20 "$TMP/warden.log" >&2; return 1; }
  wait_for_port "$port" "${PID[warden]}" || { log "the gateway does not answer on $port"; return 1; }
  # The database names the Warden connection; the token is the password (sent after the gateway's switch to mysql_clear_password).
  PASS[warden]=$(mysql_bench_access "$ROOT" "$(json_field "$TMP/warden.json" o.api)" "$(json_field "$TMP/warden.json" o.bootstrapToken)" "$TMP/setup.log") || return 1
  PORT[warden]=$port USER[warden]=bench DBNAME[warden]=bench
}

# run_interleaved: pipe and warden in alternating slices (see the header). Fills TPS, LAT, CPU,
# TX and ELAPSED for both from their totals, ROUND_RATIOS and AT_TARGET per mode, and
# ROUND_LINES with one line per round and mode.
run_interleaved() {
  local -A tk lw rt rc
  local r mode target k n e t l slice_out rr
  local -a order
  log "warmup: ${WARMUP}s per target and mode, not measured"
  for mode in text prepared; do
    for target in pipe warden; do slice "$target" "$mode" "$WARMUP" >/dev/null || { log "sysbench against $target ($mode) failed (output above)"; return 1; }; done
  done
  log "pipe and warden interleaved: $ROUNDS rounds, ${SLICE}s per slice, mode and target"
  for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then order=(pipe warden); else order=(warden pipe); fi
    for mode in text prepared; do
      for target in "${order[@]}"; do
        k=$target/$mode
        slice_out=$(slice "$target" "$mode" "$SLICE") || { log "sysbench against $target ($mode) failed (output above)"; return 1; }
        read -r n e t l <<<"$slice_out"
        add_slice "$k" "$target" "$n" "$e" "$t" "$l"
      done
      rr=$(ratio "${rt[warden]}" "${rt[pipe]}")
      ROUND_RATIOS[$mode]+="$rr "
      ROUND_PAIRS[$mode]+="${rt[warden]}:${rt[pipe]} "
      AT_TARGET[$mode]=$((${AT_TARGET[$mode]:-0} + $(awk -v r="$rr" -v t="$TARGET" 'BEGIN { print (r >= t) }')))
      ROUND_LINES+=("$(printf 'round %-2d %-9s %-7s %10s %8s   %10s %8s   %6s' "$r" "$mode" "${order[0]}" \
        "${rt[pipe]}" "${rc[pipe]}" "${rt[warden]}" "${rc[warden]}" "$rr")")
      log "${ROUND_LINES[-1]}"
    done
  done
  slice_totals
}

ratio() { if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi; }

print_report() {
  local target mode pair a b
  echo
  echo "sysbench oltp_point_select --threads=$THREADS, table size $TABLE_SIZE, $(nproc) CPUs; direct ${DURATION}s per mode;" \
    "pipe and warden $ROUNDS interleaved rounds of ${SLICE}s per mode"
  echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-8s %-9s %12s %14s %16s\n' target mode tps 'latency (ms)' 'proxy CPU µs/tx'
  for target in direct pipe warden; do
    for mode in text prepared; do
      [[ -n ${TPS[$target/$mode]:-} ]] || continue
      printf '%-8s %-9s %12.1f %14.3f %16s\n' "$target" "$mode" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]:--}"
    done
  done
  if [[ ${#ROUND_LINES[@]} -gt 0 && -n ${TPS[warden/prepared]:-} ]]; then
    echo
    echo "pipe vs warden, interleaved (tps and proxy CPU µs/tx per slice)"
    printf '%-8s %-9s %-7s %10s %8s   %10s %8s   %6s\n' round mode first pipe 'µs/tx' warden 'µs/tx' ratio
    printf '%s\n' "${ROUND_LINES[@]}"
    for mode in text prepared; do
      for target in pipe warden; do
        printf 'total %-9s %-7s %9d tx in %7.1f s = %9s tps, %6s ms, proxy %6s µs/tx\n' "$mode" "$target" \
          "${TX[$target/$mode]}" "${ELAPSED[$target/$mode]}" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]}"
      done
    done
    for mode in text prepared; do
      printf '%-9s warden/pipe: totals %s, per round %s, rounds at ≥ %s: %d of %d; warden CPU above the pipe %s µs/tx (pipe/warden CPU %s)\n' "$mode" \
        "$(ratio "${TPS[warden/$mode]}" "${TPS[pipe/$mode]}")" "$(spread "${ROUND_RATIOS[$mode]}")" "$TARGET" "${AT_TARGET[$mode]:-0}" "$ROUNDS" \
        "$(awk -v a="${CPU[warden/$mode]}" -v b="${CPU[pipe/$mode]}" 'BEGIN { printf "%+.1f", a - b }')" "$(ratio "${CPU[pipe/$mode]}" "${CPU[warden/$mode]}")"
    done
    for mode in text prepared; do
      # shellcheck disable=SC2086
      printf '%-9s warden/pipe %s\n' "$mode" "$(node "$ROOT/bench/ratio-interval.mjs" "$TARGET" ${ROUND_PAIRS[$mode]})"
    done
  fi
  echo
  printf '%-14s %8s %9s\n' ratio text prepared
  for pair in pipe/direct warden/pipe warden/direct; do
    a=${pair%/*} b=${pair#*/}
    printf '%-14s %8s %9s\n' "$pair" "$(ratio "${TPS[$a/text]:-}" "${TPS[$b/text]:-}")" "$(ratio "${TPS[$a/prepared]:-}" "${TPS[$b/prepared]:-}")"
  done
  echo
}

main() {
  local warden_ran=0 t p
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  prepare_database
  run_direct
  start_pipe
  WARDEN_WHY="the gateway did not start or the bench user/token/connection could not be created (see above)"
  if start_gateway; then
    WARDEN_WHY="sysbench failed (see above)"
    if run_interleaved; then warden_ran=1; fi
  fi
  print_report
  if [[ $warden_ran == 1 ]]; then
    echo "warden: recording on; gateway peak RSS (VmHWM) $(peak_rss_kb "${PID[warden]}") kB"
    t=$(ratio "${TPS[warden/text]}" "${TPS[pipe/text]}")
    p=$(ratio "${TPS[warden/prepared]}" "${TPS[pipe/prepared]}")
    echo "warden/pipe ratio: $(awk -v t="$t" -v p="$p" 'BEGIN { print (t < p ? t : p) }')"
  else
    log "Warden not measured: $WARDEN_WHY"
    echo "warden/pipe ratio: n/a (warden did not run, see above)"
  fi
}

main "$@"
