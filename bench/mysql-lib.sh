# Shared by the MySQL bench scripts (sourced after bench/warden-lib.sh, not run): the benchmarked
# gateway's config and its user, token and connection, the same for bench/mysql.sh,
# bench/mysql-ab.sh and bench/profile-mysql.sh. The caller sets MY_HOST, MY_PORT and DB.

# write_mysql_warden_config FILE DATA_DIR PORT: the MySQL listener on PORT, recording on, and one
# rule allowing everything on the connection `bench` (so the bench measures policy, classification
# and recording, not the shipped defaults' reviews).
write_mysql_warden_config() {
  cat >"$1" <<EOF
dataDir: $2
logLevel: warn
listeners:
  postgres: { host: 127.0.0.1, port: 0 }
  mysql: { enabled: true, host: 127.0.0.1, port: $3 }
  api: { host: 127.0.0.1, port: 0 }
recording: { flushIntervalMs: 1000 }
policy:
  rules:
    - { id: bench-allow, description: the benchmark connection may run anything, match: { connections: [bench] }, effect: allow }
EOF
}

# mysql_bench_access REPO API ADMIN_TOKEN LOG: through REPO's CLI, user `bench`, a token for it and
# the connection `bench` to $MY_HOST:$MY_PORT, database $DB, as root without TLS. Prints the token;
# what the CLI said goes to LOG (shown on failure).
mysql_bench_access() {
  local cli=(node "$1/bin/warden.mjs") log=$4 token
  local -x WARDEN_URL=$2 WARDEN_TOKEN=$3
  "${cli[@]}" users create bench --json >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  token=$("${cli[@]}" tokens create bench --name bench --json 2>>"$log" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))') || { cat "$log" >&2; return 1; }
  "${cli[@]}" connections create bench --type mysql --host "$MY_HOST" --port "$MY_PORT" --database "$DB" --username root --tls disable --json \
    >>"$log" 2>&1 || { cat "$log" >&2; return 1; }
  echo "$token"
}

# sysbench_slice PORT USER PASSWORD DATABASE MODE SECONDS [PID]: one `sysbench oltp_point_select
# --threads=$THREADS --time=SECONDS` against 127.0.0.1:PORT (MODE text: --db-ps-mode=disable,
# prepared: auto; $TABLE_SIZE rows). Prints one line `TX ELAPSED TICKS LATENCY`: the transactions,
# the seconds they took (TX / sysbench's rate, so connecting is left out), the CPU ticks PID used
# meanwhile (0 without a PID; connecting included) and the average latency in ms. Fails, with
# sysbench's output on stderr, when sysbench fails, reports no transaction, or PID is gone.
sysbench_slice() {
  local port=$1 user=$2 password=$3 db=$4 mode=$5 seconds=$6 pid=${7:-} ps=disable out t0=0 t1=0
  [[ $mode == prepared ]] && ps=auto
  [[ -z $pid ]] || t0=$(cpu_ticks "$pid")
  # LIBMYSQL_PLUGINS: libmariadb loads mysql_clear_password (asked for by Warden) at init instead of
  # in each thread on the first switch, where concurrent loads race ("it is already loaded").
  out=$(LIBMYSQL_PLUGINS=mysql_clear_password sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 \
    --mysql-port="$port" --mysql-user="$user" --mysql-password="$password" --mysql-db="$db" --mysql-ssl=off \
    --tables=1 --table-size="$TABLE_SIZE" --threads="$THREADS" --time="$seconds" --db-ps-mode="$ps" run 2>&1) ||
    { echo "$out" >&2; return 1; }
  [[ -z $pid ]] || t1=$(cpu_ticks "$pid")
  [[ -n $t0 && -n $t1 ]] || { echo "process $pid is gone" >&2; return 1; }
  awk -v ticks="$((t1 - t0))" '
    /transactions:/ && n == "" { n = $2; tps = $3; gsub(/\(/, "", tps) }
    /avg:/ && lat == "" { lat = $2 }
    END { if (n > 0 && tps > 0) printf "%d %.6f %d %s\n", n, n / tps, ticks, lat; else exit 1 }' <<<"$out" ||
    { echo "$out" >&2; return 1; }
}
