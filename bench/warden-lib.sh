# Shared by the bench scripts (sourced, not run): the exit trap
# (bench_cleanup_on_exit), free ports, CPU ticks, and starting a Warden gateway
# for a benchmark with a user, a token and connections made through the CLI,
# the way an administrator would.
#
# The caller sets ROOT (the repository), TMP (a scratch dir) and PIDS (an
# array of what it starts), and defines log().

# The policy the benchmarked gateway runs with. No rule would leave statements to
# the shipped defaults (reads allowed, writes sent to review); the bench states its
# intent instead:
#   bench-allow  allow everything on the connections `bench` and `bench_mask`
#   bench-mask   on `bench_mask` only: mask pgbench_accounts.abalance (the column
#                `pgbench -S` reads) and every `*filler*` column, and run every
#                content detector on every value
# So `warden` is policy + classification + recording, and `warden+mask` is the
# same plus a mask verdict and a RowMasker over each result.
# write_warden_config CONFIG DATA_DIR: the pgbench gateway config, both listeners on port 0.
write_warden_config() {
  local config=$1 data_dir=$2
  cat >"$config" <<EOF
dataDir: $data_dir
logLevel: warn
listeners:
  postgres: { host: 127.0.0.1, port: 0 }
  api: { host: 127.0.0.1, port: 0 }
recording: { flushIntervalMs: 1000 }
policy:
  rules:
    - id: bench-allow
      description: the benchmark connections may run anything
      match: { connections: [bench, bench_mask] }
      effect: allow
    - id: bench-mask
      description: masking active on the pgbench tables
      match: { connections: [bench_mask] }
      effect: mask
      mask:
        columns:
          - { column: '*.pgbench_accounts.abalance', strategy: redact }
          - { name: '*filler*', strategy: hash }
        detectors: all
EOF
}

# json_field FILE EXPR: a field of the first line of FILE, parsed as JSON into `o`
# (node, so no jq is needed).
json_field() {
  node -e 'const fs=require("fs");const o=JSON.parse(fs.readFileSync(process.argv[1],"utf8").split("\n")[0]);console.log(eval(process.argv[2]))' "$1" "$2"
}

# start_warden CONFIG: runs `warden gateway --config CONFIG --json` in the
# background (the config should ask for port 0 on both listeners) and waits for
# its JSON line. Sets WARDEN_PID, WARDEN_PG_PORT, WARDEN_API, WARDEN_ADMIN (the
# bootstrap admin token). Output goes to $TMP/warden.json and $TMP/warden.log.
# warn_if_sources [ROOT]: says (through log) when bin/warden.mjs will run the TypeScript sources
# through tsx instead of the dist/ bundle (dist/BUILT older than a file in src/ or package.json):
# that costs ~45 MB more RSS and slower code, so memory and CPU figures would not be the bundle's.
warn_if_sources() {
  local root=${1:-$ROOT}
  [[ ${WARDEN_FROM_SOURCE:-0} == 1 ]] && return 0
  if [[ ! -e $root/dist/BUILT || -n $(find "$root/src" -newer "$root/dist/BUILT" -type f -print -quit 2>/dev/null) || $root/package.json -nt $root/dist/BUILT ]]; then
    log "WARNING: dist/ is older than src/ or package.json, so Warden runs its sources through tsx (more memory, slower): run npm run build for the bundle's figures"
  fi
}

start_warden() {
  local config=$1 i
  warn_if_sources
  # WARDEN_NODE_ARGS: extra node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  # shellcheck disable=SC2086
  # WARDEN_CWD: its working directory (where `--perf-prof` writes its jitdump), default ROOT.
  (cd "${WARDEN_CWD:-$ROOT}" && exec node ${WARDEN_NODE_ARGS:-} "$ROOT/bin/warden.mjs" gateway --config "$config" --json) >"$TMP/warden.json" 2>"$TMP/warden.log" &
  WARDEN_PID=$!
  PIDS+=("$WARDEN_PID")
  for ((i = 0; i < 600; i++)); do
    [[ -s $TMP/warden.json ]] && break
    kill -0 "$WARDEN_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ ! -s $TMP/warden.json ]]; then
    log "the gateway exited or did not start within 60 s:"
    tail -n 20 "$TMP/warden.log" >&2 || true
    return 1
  fi
  WARDEN_PG_PORT=$(json_field "$TMP/warden.json" o.postgres.port)
  WARDEN_API=$(json_field "$TMP/warden.json" o.api)
  WARDEN_ADMIN=$(json_field "$TMP/warden.json" o.bootstrapToken)
  [[ -n $WARDEN_PG_PORT && -n $WARDEN_API && -n $WARDEN_ADMIN && $WARDEN_ADMIN != undefined ]] ||
    { log "the gateway's --json line lacks a port, API URL or bootstrap token: $(cat "$TMP/warden.json")"; return 1; }
}

# warden_access USER DATABASE CONNECTION…: through the CLI (so the REST API, with
# the bootstrap admin token), creates USER, a token for it, and each CONNECTION
# to PostgreSQL at $PG_HOST:$PG_PORT, database DATABASE, user $PG_USER, no
# password (trust), no TLS to the target. Prints the token on stdout.
warden_access() {
  local user=$1 database=$2 name token
  shift 2
  local cli=(node "$ROOT/bin/warden.mjs")
  local -x WARDEN_URL=$WARDEN_API WARDEN_TOKEN=$WARDEN_ADMIN
  "${cli[@]}" users create "$user" --json >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; return 1; }
  token=$("${cli[@]}" tokens create "$user" --name bench --json 2>>"$TMP/setup.log" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))') ||
    { cat "$TMP/setup.log" >&2; return 1; }
  for name in "$@"; do
    "${cli[@]}" connections create "$name" --host "$PG_HOST" --port "$PG_PORT" --database "$database" \
      --username "$PG_USER" --tls disable --json >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; return 1; }
  done
  echo "$token"
}

# peak_rss_kb PID: the process's peak resident set size (VmHWM) in kB.
peak_rss_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# rss_kb PID: its current resident set size (VmRSS) in kB.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks ('' once it is gone).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo ''; }

# free_port: a TCP port nothing listens on right now.
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_for_pg PORT [DATABASE [PID]]: until something answers the PostgreSQL protocol on
# 127.0.0.1:PORT (pg_isready 0 = accepting, 1 = rejecting: either way a server is there), for
# 15 s at most; with a PID, gives up as soon as that process has exited. Uses $PG_USER.
wait_for_pg() {
  local port=$1 db=${2:-postgres} pid=${3:-} i rc
  for ((i = 0; i < 150; i++)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    rc=0
    pg_isready -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$db" -t 1 || rc=$?
    if [[ $rc -eq 0 || $rc -eq 1 ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

# pgbench_slice URL MODE SECONDS [PID]: one `pgbench -n -S -c $CLIENTS -j $JOBS -T SECONDS
# -M MODE` run against URL. Prints one line `TX ELAPSED TICKS LATENCY`: the transactions
# processed, the seconds they took (TX / pgbench's tps, so connection set-up is left out),
# the CPU ticks PID used meanwhile (0 without a PID) and pgbench's average latency in ms.
# Fails, with pgbench's output on stderr, when pgbench fails, reports no transaction, or PID
# is gone. For interleaved A/B runs: sum the fields of alternating slices per side.
pgbench_slice() {
  local url=$1 mode=$2 seconds=$3 pid=${4:-} out t0=0 t1=0
  [[ -z $pid ]] || t0=$(cpu_ticks "$pid")
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$seconds" -M "$mode" "$url" 2>&1) || { echo "$out" >&2; return 1; }
  [[ -z $pid ]] || t1=$(cpu_ticks "$pid")
  [[ -n $t0 && -n $t1 ]] || { echo "process $pid is gone" >&2; return 1; }
  awk -v ticks="$((t1 - t0))" '
    /^number of transactions actually processed: / { n = $6 }
    /^latency average = / { lat = $4 }
    /^tps = / && tps == "" { tps = $3 }
    END { if (n > 0 && tps > 0) printf "%d %.6f %d %s\n", n, n / tps, ticks, lat; else exit 1 }' <<<"$out" ||
    { echo "$out" >&2; return 1; }
}

# us_per_tx TICKS TX: CPU microseconds per transaction, one decimal ('' when TX is 0).
# add_slice KEY TARGET N ELAPSED TICKS LATENCY: one interleaved slice (N transactions in ELAPSED s,
# TICKS of the proxy's CPU, LATENCY ms on average) added to the caller's totals under KEY (TX, tk,
# ELAPSED, lw: associative arrays the caller declares), and the slice's own TPS and CPU µs/tx put in
# the caller's rt[TARGET] and rc[TARGET] (bash functions see their caller's locals).
add_slice() {
  local k=$1 target=$2 n=$3 e=$4 t=$5 l=$6
  TX[$k]=$((${TX[$k]:-0} + n)) tk[$k]=$((${tk[$k]:-0} + t))
  ELAPSED[$k]=$(awk -v a="${ELAPSED[$k]:-0}" -v b="$e" 'BEGIN { printf "%.6f", a + b }')
  lw[$k]=$(awk -v a="${lw[$k]:-0}" -v b="$l" -v n="$n" 'BEGIN { printf "%.6f", a + b * n }')
  rt[$target]=$(awk -v n="$n" -v e="$e" 'BEGIN { printf "%.1f", n / e }')
  rc[$target]=$(us_per_tx "$t" "$n")
}

# slice_totals: from the totals add_slice kept, the caller's TPS, LAT (ms) and CPU (µs/tx) for every key.
slice_totals() {
  local k
  for k in "${!TX[@]}"; do
    TPS[$k]=$(awk -v n="${TX[$k]}" -v e="${ELAPSED[$k]}" 'BEGIN { printf "%.1f", n / e }')
    LAT[$k]=$(awk -v w="${lw[$k]}" -v n="${TX[$k]}" 'BEGIN { printf "%.3f", w / n }')
    CPU[$k]=$(us_per_tx "${tk[$k]}" "${TX[$k]}")
  done
}

# spread "R1 R2 …": `median M (min–max)` of the numbers ('n/a' for none); each bench's per-round ratios and figures.
spread() {
  tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 }
    END { if (!NR) { print "n/a"; exit } m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.2f (%s–%s)", m, v[1], v[NR] }'
}

us_per_tx() {
  awk -v c="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f", c * 1e6 / hz / n }'
}

# bench_cleanup_on_exit DIR: on exit (INT/TERM exit 130) kill and reap every pid in PIDS, run
# the script's `bench_on_exit STATUS` when it defines one (drop its database, show a log…),
# remove DIR, and keep the exit status. One copy of the trap every bench script had.
bench_cleanup_on_exit() {
  BENCH_CLEANUP_DIR=$1
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local status=$? pid
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  declare -F bench_on_exit >/dev/null && bench_on_exit "$status"
  rm -rf "$BENCH_CLEANUP_DIR"
  exit "$status"
}

# wait_for_port PORT PID: until something accepts TCP on 127.0.0.1:PORT, or PID exits (15 s).
wait_for_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
