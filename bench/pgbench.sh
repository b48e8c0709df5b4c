#!/usr/bin/env bash
# Throughput of Warden against its reference points, on this machine, in one go.
#
# Runs `pgbench -S -c 8 -j 2 -T $DURATION` (select-only, simple and prepared
# protocol) against:
#   direct     PostgreSQL at 127.0.0.1:5432
#   pgbouncer  PgBouncer in session mode (installed with apt-get when missing)
#   pipe       bench/bare-pipe.mjs, the floor for any Node.js relay
#   warden     the Warden gateway (skipped with WARDEN_SKIP=1, or when it does not
#              start within 15 s, or when warden_setup cannot produce a URL)
# and prints TPS and average latency per target and mode, then ratios. The LAST
# line is always `warden/pgbouncer ratio: X` (the lower of the two modes, so the
# number is never flattering) or `warden/pgbouncer ratio: n/a (warden skipped)`.
#
# Environment: DURATION (s, default 20), SCALE (pgbench -s, default 10),
# CLIENTS (8), JOBS (2), WARDEN_SKIP=1, KEEP_DB=1 (keep database warden_bench).
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

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until something answers the PostgreSQL protocol on 127.0.0.1:$1.
# pg_isready: 0 = accepting, 1 = rejecting (still alive, e.g. needs auth), 2 = no answer.
# With a third argument (a pid), gives up as soon as that process has exited.
wait_for_pg() {
  local port=$1 timeout_s=$2 pid=${3:-} i rc
  for ((i = 0; i < timeout_s * 10; i++)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    rc=0
    pg_isready -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$DB" -t 1 || rc=$?
    if [[ $rc -eq 0 || $rc -eq 1 ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

declare -A TPS LAT

# run_pgbench TARGET URL: fills TPS[TARGET/mode] and LAT[TARGET/mode] for both modes.
run_pgbench() {
  local target=$1 url=$2 mode out
  for mode in simple prepared; do
    log "$target, $mode mode, ${DURATION}s"
    if ! out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M "$mode" "$url" 2>&1); then
      log "pgbench against $target ($mode) failed:"
      echo "$out" >&2
      return 1
    fi
    TPS[$target/$mode]=$(awk '/^tps = / {print $3; exit}' <<<"$out")
    LAT[$target/$mode]=$(awk '/^latency average = / {print $4; exit}' <<<"$out")
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
  if ! wait_for_pg "$port" 15 "$!"; then
    log "PgBouncer did not start:"
    cat "$TMP/pgbouncer.out" "$TMP/pgbouncer.log" >&2 2>/dev/null || true
    return 1
  fi
  run_pgbench pgbouncer "postgresql://$PG_USER@127.0.0.1:$port/$DB"
}

run_pipe() {
  local port
  port=$(free_port)
  node "$ROOT/bench/bare-pipe.mjs" "$port" "$PG_HOST" "$PG_PORT" >"$TMP/pipe.log" 2>&1 &
  PIDS+=($!)
  wait_for_pg "$port" 15 "$!" || { log "bare pipe did not start"; cat "$TMP/pipe.log" >&2; return 1; }
  run_pgbench pipe "postgresql://$PG_USER@127.0.0.1:$port/$DB"
}

# TODO(lead): create a Warden user, a token and a connection named `bench`
# (postgres, 127.0.0.1:5432, database warden_bench, user postgres, no password)
# in the gateway whose config is $1 and data dir $2, then print on stdout
#   postgresql://USER:TOKEN@127.0.0.1:$3/bench
# Return non-zero (or print nothing) when that is not possible yet: Warden is
# then skipped with a clear message. The gateway is already running (API on $4).
warden_setup() {
  local config=$1 data_dir=$2 pg_port=$3 api_port=$4
  : "$config" "$data_dir" "$pg_port" "$api_port"
  return 1
}

# Starts the gateway with recording on (the default) and benchmarks it.
# Returns non-zero when Warden is skipped; the caller prints why.
run_warden() {
  local pg_port api_port data_dir="$TMP/warden-data" config="$TMP/warden.yaml" url pid
  pg_port=$(free_port)
  api_port=$(free_port)
  mkdir -p "$data_dir"
  cat >"$config" <<EOF
dataDir: $data_dir
logLevel: warn
listeners:
  postgres: { host: 127.0.0.1, port: $pg_port }
  api: { host: 127.0.0.1, port: $api_port }
EOF
  (cd "$ROOT" && exec node bin/warden.mjs gateway --config "$config") >"$TMP/warden.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  if ! wait_for_pg "$pg_port" 15 "$pid"; then
    WARDEN_WHY="the gateway exited or did not accept PostgreSQL connections on 127.0.0.1:$pg_port within 15 s (log above)"
    tail -n 20 "$TMP/warden.log" >&2 || true
    return 1
  fi
  if ! url=$(warden_setup "$config" "$data_dir" "$pg_port" "$api_port") || [[ -z $url ]]; then
    WARDEN_WHY="warden_setup in bench/pgbench.sh does not create the bench user/token/connection yet"
    return 1
  fi
  run_pgbench warden "$url" || { WARDEN_WHY="pgbench through Warden failed (see above)"; return 1; }
}

ratio() { # ratio A B: A/B with 2 decimals, or n/a
  if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi
}

print_report() {
  local target mode
  echo
  echo "pgbench -S -c $CLIENTS -j $JOBS -T $DURATION, scale $SCALE, $(nproc) CPUs"
  printf '%-10s %-9s %12s %14s\n' target mode tps 'latency (ms)'
  for target in direct pgbouncer pipe warden; do
    for mode in simple prepared; do
      [[ -n ${TPS[$target/$mode]:-} ]] || continue
      printf '%-10s %-9s %12.1f %14.3f\n' "$target" "$mode" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}"
    done
  done
  echo
  printf '%-20s %8s %9s\n' ratio simple prepared
  local pair a b
  for pair in pgbouncer/direct pipe/direct pipe/pgbouncer warden/pipe warden/pgbouncer; do
    a=${pair%/*} b=${pair#*/}
    printf '%-20s %8s %9s\n' "$pair" \
      "$(ratio "${TPS[$a/simple]:-}" "${TPS[$b/simple]:-}")" \
      "$(ratio "${TPS[$a/prepared]:-}" "${TPS[$b/prepared]:-}")"
  done
  echo
}

main() {
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
