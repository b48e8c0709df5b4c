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
# direct, pgbouncer and pipe run one after the other, DURATION s per mode each. warden and
# warden+mask are measured interleaved instead, because on a shared machine load drift
# between two consecutive runs is larger than the cost of masking (their TPS ratio swung
# 0.87-1.21 between quiet runs): ROUNDS rounds, each running, per mode, a SLICE-second
# pgbench on the plain connection and one on the masked connection, plain first in odd
# rounds and masked first in even ones. Each row's TPS is its summed transactions over its
# summed elapsed time, its latency the transaction-weighted mean, and its CPU µs/tx the
# gateway's CPU ticks during its slices over its transactions. Before that, the script
# asserts that masking really happens: `SELECT abalance, filler FROM pgbench_accounts` for
# one row must come back as `****` and `h:…` through bench_mask (simple protocol with psql,
# a named prepared statement with the `pg` driver) and unmasked through bench; if not, the
# Warden rows are dropped and the script exits 1 (after its last line).
# Warden rows are skipped with WARDEN_SKIP=1, or when the gateway does not start
# within 15 s, or when warden_setup cannot create the user/token/connections.
# Clients connect without TLS everywhere (sslmode=disable), so rows compare alike.
# Prints TPS and average latency per target and mode; then the interleaved rounds (TPS,
# gateway CPU µs/tx and the masked/plain ratio per round and mode), their totals, the
# median and range of the per-round ratios, masking's gateway CPU cost per transaction (the
# figure load moves least) and the line `warden+mask/warden ratio (interleaved): simple X /
# prepared Y` (from the totals); then ratios (warden/pipe, warden/pgbouncer,
# warden+mask/warden…) and the gateway's peak RSS. The LAST line is always `warden/pgbouncer ratio: X` (the lower of the two modes, so
# the number is never flattering) or `warden/pgbouncer ratio: n/a (warden skipped)`.
#
# Environment: DURATION (s, default 20), SCALE (pgbench -s, default 10),
# CLIENTS (8), JOBS (2), WARMUP (s of unmeasured load on the gateway first, default 3),
# ROUNDS (interleaved rounds, default 6), SLICE (s per slice, default DURATION/ROUNDS but
# at least 3), WARDEN_SKIP=1, KEEP_DB=1 (keep database warden_bench).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, pgbench,
# psql, node. Every process started here is killed on exit.
set -euo pipefail

DURATION=${DURATION:-20}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
ROUNDS=${ROUNDS:-6}
SLICE=${SLICE:-$((DURATION / ROUNDS > 3 ? DURATION / ROUNDS : 3))}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=warden_bench

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-bench.XXXXXX)
chmod 755 "$TMP" # pgbouncer may run as user postgres and must read its ini here
PIDS=()
PGBOUNCER_PIDFILE="$TMP/pgbouncer.pid"

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# PgBouncer runs on its own (as postgres), not in PIDS: its pid file says which process it is.
bench_on_exit() {
  local bouncer_pid
  bouncer_pid=$(cat "$PGBOUNCER_PIDFILE" 2>/dev/null)
  [[ -n $bouncer_pid ]] && kill "$bouncer_pid" 2>/dev/null
  [[ "${KEEP_DB:-0}" == 1 ]] || dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
}
bench_cleanup_on_exit "$TMP"

log() { echo "[bench] $*" >&2; }

declare -A TPS LAT CPU TX ELAPSED ROUND_RATIOS
ROUND_LINES=()
MASK_CHECK_FAILED=0

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

# check_masking URL MASK_URL: asserts that masking is on where the bench says it is, so the
# warden+mask/warden ratio measures something. Reads aid 1's abalance and filler with the
# simple protocol (psql) and as a named prepared statement (the `pg` driver, text results,
# like pgbench -M prepared): through MASK_URL they must come back as `****` and `h:<16 hex>`,
# through URL exactly as PostgreSQL returns them directly. Returns 1, logging what came
# back, otherwise.
check_masking() {
  local plain=$1 masked=$2 sql='SELECT abalance, filler FROM pgbench_accounts WHERE aid = 1'
  local direct via got ok=0
  direct=$(psql -X -At -F'|' "postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB" -c "$sql") || return 1
  for via in psql prepared; do
    got=$(check_masking_read "$via" "$plain" "$sql" 2>&1) || true
    if [[ $got != "$direct" ]]; then
      log "MASKING CHECK FAILED: bench ($via) returned '$got' where PostgreSQL returns '$direct'"; ok=1
    fi
    got=$(check_masking_read "$via" "$masked" "$sql" 2>&1) || true
    if [[ ! $got =~ ^\*\*\*\*\|h:[0-9a-f]{16}$ ]]; then
      log "MASKING CHECK FAILED: bench_mask ($via) returned '$got', not '****|h:<16 hex>'"; ok=1
    fi
  done
  [[ $ok == 0 ]] && log "masking check: bench_mask returns '****|h:…' (simple and prepared), bench the stored row"
  return "$ok"
}

# check_masking_read psql|prepared URL SQL: the rows of SQL as `a|b` lines.
check_masking_read() {
  if [[ $1 == psql ]]; then psql -X -At -F'|' "$2" -c "$3"; return; fi
  (cd "$ROOT" && node --input-type=module -e '
    import pg from "pg";
    const client = new pg.Client({ connectionString: process.argv[1], types: { getTypeParser: () => (v) => v } });
    await client.connect();
    try {
      const r = await client.query({ name: "warden_bench_check", text: process.argv[2], rowMode: "array" });
      console.log(r.rows.map((row) => row.join("|")).join("\n"));
    } finally {
      await client.end();
    }' "$2" "$3")
}

# run_interleaved URL MASK_URL: warden and warden+mask in alternating slices (see the
# header). Fills TPS, LAT, CPU, TX and ELAPSED for both from their totals, and ROUND_LINES
# with one line per round and mode.
run_interleaved() {
  local -A url=([warden]=$1 [warden+mask]=$2) tk lw rt rc
  local r mode target k n e t l first slice
  local -a order
  log "warden and warden+mask interleaved: $ROUNDS rounds, ${SLICE}s per slice, mode and connection"
  for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then order=(warden warden+mask); else order=(warden+mask warden); fi
    for mode in simple prepared; do
      for target in "${order[@]}"; do
        k=$target/$mode
        slice=$(pgbench_slice "${url[$target]}" "$mode" "$SLICE" "$WARDEN_PID") ||
          { log "pgbench against $target ($mode) failed (output above)"; return 1; }
        read -r n e t l <<<"$slice"
        add_slice "$k" "$target" "$n" "$e" "$t" "$l"
      done
      first=${order[0]}
      ROUND_RATIOS[$mode]+="$(ratio "${rt[warden+mask]}" "${rt[warden]}") "
      ROUND_LINES+=("$(printf 'round %-2d %-9s %-12s %10s %8s   %10s %8s   %6s' "$r" "$mode" "$first" \
        "${rt[warden]}" "${rc[warden]}" "${rt[warden+mask]}" "${rc[warden+mask]}" \
        "$(ratio "${rt[warden+mask]}" "${rt[warden]}")")")
    done
  done
  slice_totals
}

# Benchmarks Warden without and with masking. Returns non-zero when Warden is
# skipped; the caller prints why.
run_warden() {
  local data_dir="$TMP/warden-data" config="$TMP/warden.yaml"
  mkdir -p "$data_dir"
  if ! warden_setup "$config" "$data_dir"; then
    WARDEN_WHY="the gateway did not start or the bench user/token/connections could not be created (see above)"
    return 1
  fi
  local url=${WARDEN_URLS[0]} mask_url=${WARDEN_URLS[1]} mode
  if ! check_masking "$url" "$mask_url"; then
    MASK_CHECK_FAILED=1
    WARDEN_WHY="the masking check failed, so warden+mask/warden would measure nothing (see above)"
    return 1
  fi
  # Warm-up, not measured: a fresh gateway's first seconds (JIT, first classifications and
  # catalog lookups) otherwise land on whichever slice runs first.
  for mode in simple prepared; do
    pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M "$mode" "$url" >/dev/null 2>&1 || true
    pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "${WARMUP:-3}" -M "$mode" "$mask_url" >/dev/null 2>&1 || true
  done
  run_interleaved "$url" "$mask_url" || { WARDEN_WHY="pgbench through Warden failed (see above)"; return 1; }
  RECORDED=$(du -sk "$data_dir/recordings" 2>/dev/null | awk '{print $1}')
  WARDEN_RSS=$(peak_rss_kb "$WARDEN_PID")
}

ratio() { # ratio A B: A/B with 2 decimals, or n/a
  if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi
}

# print_interleaved: the warden vs warden+mask rounds, their totals and ratio (nothing when
# they did not run).
print_interleaved() {
  [[ ${#ROUND_LINES[@]} -gt 0 && -n ${TPS[warden+mask/prepared]:-} ]] || return 0
  local mode target line
  echo
  echo "warden vs warden+mask, interleaved (tps and gateway CPU µs/tx per slice)"
  printf '%-8s %-9s %-12s %10s %8s   %10s %8s   %6s\n' round mode first 'warden' 'µs/tx' 'w+mask' 'µs/tx' ratio
  for line in "${ROUND_LINES[@]}"; do echo "$line"; done
  for mode in simple prepared; do
    for target in warden warden+mask; do
      printf 'total %-9s %-12s %9d tx in %7.1f s = %9s tps, %6s ms, gateway %6s µs/tx\n' "$mode" "$target" \
        "${TX[$target/$mode]}" "${ELAPSED[$target/$mode]}" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]}"
    done
  done
  echo "per-round ratios: simple $(spread "${ROUND_RATIOS[simple]}") / prepared $(spread "${ROUND_RATIOS[prepared]}")"
  echo "masking's gateway CPU cost: simple $(cpu_delta simple) / prepared $(cpu_delta prepared)"
  echo "warden+mask/warden ratio (interleaved): simple $(ratio "${TPS[warden+mask/simple]}" "${TPS[warden/simple]}")" \
    "/ prepared $(ratio "${TPS[warden+mask/prepared]}" "${TPS[warden/prepared]}")"
}

# cpu_delta MODE: warden+mask's gateway CPU µs/tx minus warden's, signed, and as a share of warden's.
cpu_delta() {
  awk -v a="${CPU[warden+mask/$1]}" -v b="${CPU[warden/$1]}" 'BEGIN { printf "%+.1f µs/tx (%+.1f %%)", a - b, (a - b) * 100 / b }'
}

print_report() {
  local target mode
  echo
  echo "pgbench -S -c $CLIENTS -j $JOBS -T $DURATION, scale $SCALE, $(nproc) CPUs" \
    "(warden rows: $ROUNDS interleaved slices of ${SLICE}s per mode)"
  echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine lowers every row)"
  printf '%-12s %-9s %12s %14s %16s\n' target mode tps 'latency (ms)' 'proxy CPU µs/tx'
  for target in direct pgbouncer pipe warden warden+mask; do
    for mode in simple prepared; do
      [[ -n ${TPS[$target/$mode]:-} ]] || continue
      printf '%-12s %-9s %12.1f %14.3f %16s\n' "$target" "$mode" "${TPS[$target/$mode]}" "${LAT[$target/$mode]}" "${CPU[$target/$mode]:--}"
    done
  done
  print_interleaved
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
  # fail loudly: a masked connection that masks nothing makes the masking ratio meaningless.
  [[ $MASK_CHECK_FAILED == 0 ]] || exit 1
}

main "$@"
