#!/usr/bin/env bash
# What one agent link costs in memory, in two phases, each on a fresh gateway + `warden agent`:
#   idle    $SESSIONS concurrent idle PostgreSQL sessions (bench/pg-idle.mjs, the `pg` driver,
#           one `select 1` each) through the gateway and ONE agent. The target is a pgbouncer
#           (transaction pooling) in front of the machine's PostgreSQL, because PostgreSQL itself
#           allows only max_connections (100 here); pgbouncer is a real server and costs the
#           gateway and the agent exactly what a database would: one socket per session.
#           Prints gateway and agent RSS (VmRSS) with 1 session and with 1 + $SESSIONS, and
#           `… RSS per idle session through the agent: X KB` (target < 100 KB each).
#   large   one COPY of $ROWS rows (~185 B each: 5,000,000 ≈ 0.9 GB) through gateway → agent →
#           PostgreSQL, psql | wc -c; prints seconds, MB/s, and both processes' peak RSS
#           (VmHWM) (target < 150 MB each).
# A bench, not a test: on 2 shared cores the figures move with whatever else runs.
#
# Environment: SESSIONS (default 1000), ROWS (default 5000000), SKIP_IDLE=1, SKIP_LARGE=1.
# Needs: root (pgbouncer runs as the postgres OS user), PostgreSQL on 127.0.0.1:5432 with trust
# auth for user postgres, pgbouncer (installed with apt-get when missing), psql, node. Every process started here is killed on exit.
set -euo pipefail

SESSIONS=${SESSIONS:-1000}
ROWS=${ROWS:-5000000}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=postgres

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=$(mktemp -d /tmp/warden-agent-scale.XXXXXX)
chmod 755 "$BASE"
TMP=$BASE
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
bench_on_exit() { [[ -s $BASE/pgb/pgbouncer.pid ]] && kill "$(cat "$BASE/pgb/pgbouncer.pid")" 2>/dev/null; }
bench_cleanup_on_exit "$BASE"

log() { echo "[agent-scale] $*" >&2; }
# shellcheck source=bench/agent-lib.sh
source "$ROOT/bench/agent-lib.sh"

# start_stack DIR TARGET_PORT: gateway + agent (bench/agent-lib.sh), user `bench`'s token in BENCH_TOKEN.
start_stack() { start_agent_stack "$1" "$2" "$DB"; }
stop_stack() { stop_agent_stack; }


start_pgbouncer() {
  local dir=$BASE/pgb
  mkdir -p "$dir"
  if [[ ! -x /usr/sbin/pgbouncer ]]; then
    log "PgBouncer missing: apt-get install -y pgbouncer"
    DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer >"$dir/apt.log" 2>&1 ||
      { cat "$dir/apt.log" >&2; return 1; }
  fi
  PGB_PORT=$(free_port)
  echo "\"$PG_USER\" \"\"" >"$dir/users.txt"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$PG_HOST port=$PG_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = $((SESSIONS + 100))
default_pool_size = 4
ignore_startup_parameters = extra_float_digits,options,search_path
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
  chown -R postgres "$dir"
  # pgbouncer refuses to run as root; -d daemonises it, the pidfile stops it (cleanup).
  runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini"
  wait_for_pg "$PGB_PORT" || { log "pgbouncer did not start: $(tail -n 5 "$dir/pgbouncer.log")"; return 1; }
}

# idle N: opens N idle sessions through the agent and holds them (until the script ends).
idle() {
  mkfifo "$TMP/hold-$1"
  (cd "$ROOT" && exec node bench/pg-idle.mjs "postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/bench_agent?sslmode=disable" "$1" <"$TMP/hold-$1" >"$TMP/idle-$1.out" 2>&1) &
  PIDS+=("$!")
  exec {fd}>"$TMP/hold-$1"
  for _ in $(seq 1 3000); do
    grep -q '^ready' "$TMP/idle-$1.out" 2>/dev/null && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  log "the idle sessions did not open: $(tail -n 5 "$TMP/idle-$1.out")"
  return 1
}

echo "agent-scale, $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${SKIP_IDLE:-0} != 1 ]]; then
  start_pgbouncer
  start_stack "$BASE/idle" "$PGB_PORT"
  # One session first, so the baseline includes what the first session loads (pg codec, classifier…).
  idle 1
  sleep 3
  gw0=$(rss_kb "$WARDEN_PID") ag0=$(rss_kb "$AGENT_PID")
  log "opening $SESSIONS idle sessions…"
  t0=$(date +%s.%N)
  idle "$SESSIONS"
  t1=$(date +%s.%N)
  sleep 5
  gw1=$(rss_kb "$WARDEN_PID") ag1=$(rss_kb "$AGENT_PID")
  streams=$(api GET /api/v1/agents | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].links.reduce((n,l)=>n+l.streams,0)))')
  echo
  echo "idle: $((SESSIONS + 1)) sessions open ($streams streams on the agent link), opened in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
  echo "gateway RSS with 1 session: $((gw0 / 1024)) MB; with $((SESSIONS + 1)): $((gw1 / 1024)) MB"
  echo "agent RSS with 1 session: $((ag0 / 1024)) MB; with $((SESSIONS + 1)): $((ag1 / 1024)) MB"
  echo "gateway RSS per idle session through the agent: $(((gw1 - gw0) / SESSIONS)) KB (target < 100 KB)"
  echo "agent RSS per idle session: $(((ag1 - ag0) / SESSIONS)) KB (target < 100 KB)"
  stop_stack
fi

if [[ ${SKIP_LARGE:-0} != 1 ]]; then
  start_stack "$BASE/large" "$PG_PORT"
  url="postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/bench_agent?sslmode=disable"
  psql -X -v ON_ERROR_STOP=1 "$url" -Atc 'select 1' >/dev/null
  gwh0=$(peak_rss_kb "$WARDEN_PID") agh0=$(peak_rss_kb "$AGENT_PID")
  log "large: $ROWS rows through the agent"
  t0=$(date +%s.%N)
  bytes=$(psql -X -v ON_ERROR_STOP=1 "$url" -c "COPY (SELECT i AS id, 'user' || i || '@example.com' AS email,
      md5(i::text) AS token_a, md5((i + 1)::text) AS token_b, md5((i + 2)::text) AS token_c,
      '4111 1111 1111 ' || lpad((i % 10000)::text, 4, '0') AS card_note, repeat('x', 30) AS filler
    FROM generate_series(1, $ROWS) AS i) TO STDOUT" | wc -c)
  t1=$(date +%s.%N)
  gwh1=$(peak_rss_kb "$WARDEN_PID") agh1=$(peak_rss_kb "$AGENT_PID")
  echo
  awk -v r="$ROWS" -v b="$bytes" -v a="$t0" -v c="$t1" 'BEGIN { s = c - a; printf "large: %d rows, %.1f MB in %.1f s (%.1f MB/s) through gateway → agent → PostgreSQL\n", r, b / 1e6, s, b / 1e6 / s }'
  echo "gateway peak RSS (VmHWM): $((gwh0 / 1024)) MB before, $((gwh1 / 1024)) MB after (target < 150 MB)"
  echo "agent peak RSS (VmHWM): $((agh0 / 1024)) MB before, $((agh1 / 1024)) MB after (target < 150 MB)"
  stop_stack
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
