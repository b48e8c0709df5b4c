#!/usr/bin/env bash
# Throughput of Warden against its reference points, on this machine, in one go.
#
# Runs `pgbench -S -c 8 -j 2 -T $DURATION` (select-only, simple and prepared
# protocol) against:
#   direct     PostgreSQL at 127.0.0.1:5432
#   pgbouncer  PgBouncer in session mode (installed with apt-get when missing)
#   pipe       bench/bare-pipe.mjs, the floor for any Node.js relay
#   warden     the Warden gateway, recording on, an explicit allow rule for the
#              bench connection (see write_warden_config)
#   warden+mask  the same gateway, on a connection where a mask rule is active
#              (pgbench_accounts.abalance redacted, `*filler*` hashed, all detectors)
# Warden rows are skipped with WARDEN_SKIP=1, or when the gateway does not start
# within 15 s, or when warden_setup cannot create the user/token/connections.
# Clients connect without TLS everywhere (sslmode=disable), so rows compare alike.
# Prints TPS and average latency per target and mode, then ratios
# (warden/pipe, warden/pgbouncer, warden+mask/warden…) and the gateway's peak RSS. The LAST
# line is always `warden/pgbouncer ratio: X` (the lower of the two modes, so the
# number is never flattering) or `warden/pgbouncer ratio: n/a (warden skipped)`.
#
# Environment: DURATION (s, default 20), SCALE (pgbench -s, default 10),
# CLIENTS (8), JOBS (2), WARMUP (s of unmeasured load on the gateway first, default 3),
# WARDEN_SKIP=1, KEEP_DB=1 (keep database warden_bench).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, pgbench,
# psql, node. Every process started here is killed on exit.
set -euo pipefail

DURATION=${DURATION:-20}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=warden_bench

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-bench.XXXXXX)
chmod 755 "$TMP" # pgbouncer may run as user postgres and must read its ini here
PIDS=()
PGBOUNCER_PIDFILE="$TMP/pgbouncer.pid"

cleanup() {
  local status=$?
  set +e
  # PgBouncer's own pid file first: it removes the file as it exits.
  local bouncer_pid
  bouncer_pid=$(cat "$PGBOUNCER_PIDFILE" 2>/dev/null)
  [[ -n $bouncer_pid ]] && kill "$bouncer_pid" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [[ "${KEEP_DB:-0}" != 1 ]]; then
    dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"

declare -A TPS LAT CPU

# run_pgbench TARGET URL [PROXY_PID]: fills TPS[TARGET/mode] and LAT[TARGET/mode]
# for both modes and, given the proxy's pid, CPU[TARGET/mode]: the proxy's CPU
# time per transaction in µs. That figure does not depend on what else the
# machine is doing, unlike TPS on 2 shared cores.
run_pgbench() {
  local target=$1 url=$2 pid=${3:-} mode out t0 t1 n
  local hz
  hz=$(getconf CLK_TCK)
  for mode in simple prepared; do
    log "$target, $mode mode, ${DURATION}s"
    t0=""; [[ -z $pid ]] || t0=$(cpu_ticks "$pid")
    if ! out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M "$mode" "$url" 2>&1); then
      log "pgbench against $target ($mode) failed:"
      echo "$out" >&2
      return 1
    fi
    t1=""; [[ -z $pid ]] || t1=$(cpu_ticks "$pid")
    TPS[$target/$mode]=$(awk '/^tps = / {print $3; exit}' <<<"$out")
    LAT[$target/$mode]=$(awk '/^latency average = / {print $4; exit}' <<<"$out")
    n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
    if [[ -n $t0 && -n $t1 && -n $n && $n -gt 0 ]]; then
      CPU[$target/$mode]=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
    fi
  done
}

prepare_database() {
  log "creating database $DB (pgbench -i -s $SCALE)"
  dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
  createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
  pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 ||
    { cat "$TMP/init.log" >&2; return 1; }
}

run_direct() {
  run_pgbench direct "postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB"
}

run_pgbouncer() {
  local bin=/usr/sbin/pgbouncer port
  if [[ ! -x $bin ]]; then
    log "PgBouncer missing: apt-get install -y pgbouncer"
    DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer >"$TMP/apt.log" 2>&1 ||
      { cat "$TMP/apt.log" >&2; return 1; }
  fi
  # The Debian package starts its own service on 6432; ours is separate.
  port=$(free_port)
  cat >"$TMP/pgbouncer.ini" <<EOF
[databases]
$DB = host=$PG_HOST port=$PG_PORT dbname=$DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $TMP/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 50
ignore_startup_parameters = extra_float_digits
logfile = $TMP/pgbouncer.log
pidfile = $PGBOUNCER_PIDFILE
EOF
  echo "\"$PG_USER\" \"\"" >"$TMP/userlist.txt"
  chmod 644 "$TMP/pgbouncer.ini" "$TMP/userlist.txt"
  # PgBouncer refuses to run as root; -u drops to the postgres user after start.
  local as_user=()
  if [[ $(id -u) -eq 0 ]]; then as_user=(-u postgres); chown postgres "$TMP"; fi
  "$bin" "${as_user[@]}" "$TMP/pgbouncer.ini" >"$TMP/pgbouncer.out" 2>&1 &
  PIDS+=($!)
  if ! wait_for_pg "$port" "$DB" "$!"; then
    log "PgBouncer did not start:"
    cat "$TMP/pgbouncer.out" "$TMP/pgbouncer.log" >&2 2>/dev/null || true
    return 1
  fi
  run_pgbench pgbouncer "postgresql://$PG_USER@127.0.0.1:$port/$DB" "$(cat "$PGBOUNCER_PIDFILE" 2>/dev/null)"
}

run_pipe() {
  local port
  port=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$PG_PORT" >"$TMP/pipe.log" 2>&1 &
  PIDS+=($!)
  wait_for_pg "$port" "$DB" "$!" || { log "bare pipe did not start"; cat "$TMP/pipe.log" >&2; return 1; }
  run_pgbench pipe "postgresql://$PG_USER@127.0.0.1:$port/$DB" "${PIDS[-1]}"
}

# warden_setup CONFIG DATA_DIR: starts the gateway (recording on, the default)
# with CONFIG on free ports, creates through the CLI the user `bench`, its token
# and the connections `bench` and `bench_mask` (127.0.0.1:5432, database
# warden_bench, user postgres, trust), and prints two URLs on stdout: plain,
# then masked. Sets WARDEN_PID (via start_warden; not in a subshell).
warden_setup() {
  local config=$1 data_dir=$2 token
  write_warden_config "$config" "$data_dir"
  start_warden "$config" || return 1
  wait_for_pg "$WARDEN_PG_PORT" "$DB" "$WARDEN_PID" || { log "the gateway does not answer on $WARDEN_PG_PORT"; return 1; }
  token=$(warden_access bench "$DB" bench bench_mask) || return 1
  log "Warden: postgres on 127.0.0.1:$WARDEN_PG_PORT, API $WARDEN_API, recording to $data_dir/recordings"
  # Client side without TLS, like the pipe and PgBouncer rows.
  WARDEN_URLS=("postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/bench?sslmode=disable"
    "postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/bench_mask?sslmode=disable")
}

# Benchmarks Warden without and with masking. Returns non-zero when Warden is
# skipped; the caller prints why.
run_warden() {
  local data_dir="$TMP/warden-data" config="$TMP/warden.yaml" check
  mkdir -p "$data_dir"
  if ! warden_setup "$config" "$data_dir"; then
    WARDEN_WHY="the gateway did not start or the bench user/token/connections could not be created (see above)"
    return 1
  fi
  local url=${WARDEN_URLS[0]} mask_url=${WARDEN_URLS[1]} mode
  # Warm-up, not measured: a fresh gateway's first seconds (JIT, first classifications and
  # catalog lookups) otherwise land on whichever row runs first.
  for mode in simple prepared; do
    pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M "$mode" "$url" >/dev/null 2>&1 || true
    pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M "$mode" "$mask_url" >/dev/null 2>&1 || true
  done
  run_pgbench warden "$url" "$WARDEN_PID" || { WARDEN_WHY="pgbench through Warden failed (see above)"; return 1; }
  # The masked row only counts if masking really happens: abalance must come back redacted.
  check=$(psql -X -At "$mask_url" -c 'select abalance from pgbench_accounts where aid = 1' 2>&1) || true
  if [[ $check == *'*'* ]]; then
    run_pgbench warden+mask "$mask_url" "$WARDEN_PID" || log "pgbench through Warden with masking failed (see above)"
  else
    log "masking is not active on bench_mask (abalance came back as '$check'): warden+mask row skipped"
  fi
  RECORDED=$(du -sk "$data_dir/recordings" 2>/dev/null | awk '{print $1}')
  WARDEN_RSS=$(peak_rss_kb "$WARDEN_PID")
}

ratio() { # ratio A B: A/B with 2 decimals, or n/a
  if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi
}

print_report() {
  local target mode
  echo
  echo "pgbench -S -c $CLIENTS -j $JOBS -T $DURATION, scale $SCALE, $(nproc) CPUs"
  echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine lowers every row)"
  printf '%-12s %-9s %12s %14s %16s\n' target mode tps 'latency (ms)' 'proxy CPU µs/tx'
  for target in direct pgbouncer pipe warden warden+mask; do
    for mode in simple prepared; do
      [[ -n ${TPS[$target/$mode]:-} ]] || continue
      printf '%-12s %-9s %12.1f %14.3f %16s\n' "$target" "$mode" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]:--}"
    done
  done
  echo
  printf '%-20s %8s %9s\n' ratio simple prepared
  local pair a b
  for pair in pgbouncer/direct pipe/direct pipe/pgbouncer warden/pipe warden/pgbouncer warden+mask/warden; do
    a=${pair%/*} b=${pair#*/}
    printf '%-20s %8s %9s\n' "$pair" \
      "$(ratio "${TPS[$a/simple]:-}" "${TPS[$b/simple]:-}")" \
      "$(ratio "${TPS[$a/prepared]:-}" "${TPS[$b/prepared]:-}")"
  done
  echo
  if [[ -n ${WARDEN_PID:-} ]]; then
    echo "warden: recording on, ${RECORDED:-?} kB of recordings written; gateway peak RSS (VmHWM) ${WARDEN_RSS:-?} kB"
    echo
  fi
}

main() {
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  prepare_database
  run_direct
  run_pgbouncer
  run_pipe
  WARDEN_WHY="WARDEN_SKIP=1"
  local warden_ran=0
  if [[ "${WARDEN_SKIP:-0}" != 1 ]] && run_warden; then warden_ran=1; fi
  print_report
  if [[ $warden_ran == 1 ]]; then
    local s p
    s=$(ratio "${TPS[warden/simple]}" "${TPS[pgbouncer/simple]}")
    p=$(ratio "${TPS[warden/prepared]}" "${TPS[pgbouncer/prepared]}")
    echo "warden/pgbouncer ratio: $(awk -v s="$s" -v p="$p" 'BEGIN { print (s < p ? s : p) }')"
  else
    log "Warden skipped: $WARDEN_WHY"
    echo "warden/pgbouncer ratio: n/a (warden skipped)"
  fi
}

main "$@"
