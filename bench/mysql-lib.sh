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
