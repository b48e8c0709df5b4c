#!/usr/bin/env bash
# MySQL/MariaDB throughput of Warden against its reference points, one run.
#
# Runs `sysbench oltp_point_select` (prepared: --db-ps-mode=auto, text:
# --db-ps-mode=disable) against:
#   direct   the machine's MariaDB at 127.0.0.1:3306 (root, no password)
#   pipe     bench/bare-pipe.mjs, the floor for any Node.js relay
#   warden   the Warden gateway's MySQL listener, recording on, an explicit
#            allow rule for the bench connection
# The sysbench tables live in a database of their own (BENCH_DB, default warden_sysbench_<pid>),
# created here and dropped on exit. Prints TPS, average latency and the
# proxy's CPU time per transaction; the LAST line is always
# `warden/pipe ratio: X` (the lower of the two modes) or `warden/pipe ratio: n/a (…)`.
#
# Environment: DURATION (s, default 10), THREADS (4), TABLE_SIZE (10000),
# STARTUP_S (how long the gateway may take to start, 90).
# Needs: MariaDB on 127.0.0.1:3306, sysbench (installed with apt-get when
# missing), the mariadb CLI, node. Every process started here is killed on exit.
set -euo pipefail

DURATION=${DURATION:-10}
THREADS=${THREADS:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
STARTUP_S=${STARTUP_S:-90}
MY_HOST=127.0.0.1
MY_PORT=3306
DB=${BENCH_DB:-warden_sysbench_$$}

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

declare -A TPS LAT CPU

# run_sysbench TARGET PORT USER PASSWORD DATABASE [PROXY_PID]
run_sysbench() {
  local target=$1 port=$2 user=$3 password=$4 db=$5 pid=${6:-} mode ps out t0 t1 n hz
  hz=$(getconf CLK_TCK)
  for mode in text prepared; do
    ps=disable; [[ $mode == prepared ]] && ps=auto
    log "$target, $mode, ${DURATION}s"
    t0=""; [[ -z $pid ]] || t0=$(cpu_ticks "$pid")
    # LIBMYSQL_PLUGINS: libmariadb loads mysql_clear_password (asked for by Warden) at init instead of
    # in each thread on the first switch, where concurrent loads race ("it is already loaded").
    if ! out=$(LIBMYSQL_PLUGINS=mysql_clear_password sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
      --mysql-user="$user" --mysql-password="$password" --mysql-db="$db" --mysql-ssl=off \
      --tables=1 --table-size="$TABLE_SIZE" --threads="$THREADS" --time="$DURATION" --db-ps-mode="$ps" run 2>&1); then
      log "sysbench against $target ($mode) failed:"
      echo "$out" >&2
      return 1
    fi
    t1=""; [[ -z $pid ]] || t1=$(cpu_ticks "$pid")
    TPS[$target/$mode]=$(awk '/transactions:/ { gsub(/\(/, "", $3); print $3; exit }' <<<"$out")
    LAT[$target/$mode]=$(awk '/avg:/ { print $2; exit }' <<<"$out")
    n=$(awk '/transactions:/ { print $2; exit }' <<<"$out")
    if [[ -n $t0 && -n $t1 && -n $n && $n -gt 0 ]]; then
      CPU[$target/$mode]=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
    fi
  done
}

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

run_pipe() {
  local port
  port=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$port" "$MY_HOST" "$MY_PORT" >"$TMP/pipe.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$port" "$!" || { log "bare pipe did not start"; cat "$TMP/pipe.log" >&2; return 1; }
  run_sysbench pipe "$port" root "" "$DB" "${PIDS[-1]}"
}

run_warden() {
  local data_dir="$TMP/warden-data" config="$TMP/warden.yaml" port token
  mkdir -p "$data_dir"
  port=$(free_port)
  write_mysql_warden_config "$config" "$data_dir" "$port"
  # Like start_warden (bench/warden-lib.sh), with a longer wait: under load, tsx's first transpile can take 20 s or more.
  (cd "$ROOT" && exec node bin/warden.mjs gateway --config "$config" --json) >"$TMP/warden.json" 2>"$TMP/warden.log" &
  WARDEN_PID=$!
  PIDS+=("$WARDEN_PID")
  local i
  for ((i = 0; i < STARTUP_S * 10; i++)); do
    [[ -s $TMP/warden.json ]] && break
    kill -0 "$WARDEN_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -s $TMP/warden.json ]] || { log "the gateway exited or did not start within $STARTUP_S s:"; tail -n 20 "$TMP/warden.log" >&2; return 1; }
  WARDEN_API=$(json_field "$TMP/warden.json" o.api)
  WARDEN_ADMIN=$(json_field "$TMP/warden.json" o.bootstrapToken)
  wait_for_port "$port" "$WARDEN_PID" || { log "the gateway does not answer on $port"; return 1; }
  token=$(mysql_bench_access "$ROOT" "$WARDEN_API" "$WARDEN_ADMIN" "$TMP/setup.log") || return 1
  # The database names the Warden connection; the token is the password (sent after the gateway's switch to mysql_clear_password).
  run_sysbench warden "$port" bench "$token" bench "$WARDEN_PID" || return 1
  WARDEN_RSS=$(peak_rss_kb "$WARDEN_PID")
}

ratio() { if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi; }

main() {
  local load_before warden_ran=0 target mode pair a b
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  prepare_database
  run_sysbench direct "$MY_PORT" root "" "$DB"
  run_pipe
  if run_warden; then warden_ran=1; fi
  echo
  echo "sysbench oltp_point_select --threads=$THREADS --time=$DURATION, table size $TABLE_SIZE, $(nproc) CPUs"
  echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-8s %-9s %12s %14s %16s\n' target mode tps 'latency (ms)' 'proxy CPU µs/tx'
  for target in direct pipe warden; do
    for mode in text prepared; do
      [[ -n ${TPS[$target/$mode]:-} ]] || continue
      printf '%-8s %-9s %12.1f %14.2f %16s\n' "$target" "$mode" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]:--}"
    done
  done
  echo
  printf '%-14s %8s %9s\n' ratio text prepared
  for pair in pipe/direct warden/pipe warden/direct; do
    a=${pair%/*} b=${pair#*/}
    printf '%-14s %8s %9s\n' "$pair" "$(ratio "${TPS[$a/text]:-}" "${TPS[$b/text]:-}")" "$(ratio "${TPS[$a/prepared]:-}" "${TPS[$b/prepared]:-}")"
  done
  echo
  if [[ $warden_ran == 1 ]]; then
    echo "warden: recording on; gateway peak RSS (VmHWM) ${WARDEN_RSS:-?} kB"
    local t p
    t=$(ratio "${TPS[warden/text]}" "${TPS[pipe/text]}")
    p=$(ratio "${TPS[warden/prepared]}" "${TPS[pipe/prepared]}")
    echo "warden/pipe ratio: $(awk -v t="$t" -v p="$p" 'BEGIN { print (t < p ? t : p) }')"
  else
    echo "warden/pipe ratio: n/a (warden did not run, see above)"
  fi
}

main "$@"
