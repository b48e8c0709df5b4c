#!/usr/bin/env bash
# What the agent link costs: `pgbench -S -c $CLIENTS` (simple protocol), one run each, against
#   direct        PostgreSQL at 127.0.0.1:5432
#   gateway       the Warden gateway dialing PostgreSQL itself (policy, classification, recording)
#   via-agent     the same gateway reaching PostgreSQL through a `warden agent` link
#                 (WebSocket, one multiplexed flow-controlled stream per session)
#   two-pipes     two bare Node.js pipes chained (bench/bare-pipe.mjs twice): the floor
#                 for any two-hop Node.js path, which is what gateway→agent is
# and prints TPS and average latency for each. The LAST line is always
# `via-agent/two-bare-pipes ratio: X` (TPS of via-agent over TPS of two-pipes) or
# `via-agent/two-bare-pipes ratio: n/a (…)`. A bench, not a test: on 2 shared cores the
# figures move with whatever else runs.
#
# Environment: DURATION (s, default 15), SCALE (pgbench -s, 10), CLIENTS (8), JOBS (2),
# KEEP_DB=1 (keep database warden_bench_agent).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, pgbench, psql, node.
# Every process started here is killed on exit.
set -euo pipefail

DURATION=${DURATION:-15}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=warden_bench_agent

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-bench-agent.XXXXXX)
PIDS=()

cleanup() {
  local status=$?
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [[ "${KEEP_DB:-0}" == 1 ]] || dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench-agent] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
wait_for_pg() {
  local port=$1 i rc
  for ((i = 0; i < 150; i++)); do
    rc=0
    pg_isready -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$DB" -t 1 || rc=$?
    if [[ $rc -eq 0 || $rc -eq 1 ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

declare -A TPS LAT
run_pgbench() {
  local target=$1 url=$2 out
  log "$target: pgbench -S -c $CLIENTS, ${DURATION}s"
  out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$DURATION" -M simple "$url" 2>&1) || { log "pgbench against $target failed:"; echo "$out" >&2; return 1; }
  TPS[$target]=$(awk '/^tps = / {print $3; exit}' <<<"$out")
  LAT[$target]=$(awk '/^latency average = / {print $4; exit}' <<<"$out")
}

# api METHOD PATH JSON: a REST call with the bootstrap admin token; prints the response body.
api() {
  node -e '
    const [m, url, token, body] = process.argv.slice(1);
    fetch(url, { method: m, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body || undefined })
      .then(async (r) => { const t = await r.text(); if (!r.ok) { console.error(r.status, t); process.exit(1); } console.log(t); });
  ' "$1" "$WARDEN_API$2" "$WARDEN_ADMIN" "${3:-}"
}

log "creating database $DB (pgbench -i -s $SCALE)"
dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s "$SCALE" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; exit 1; }

run_pgbench direct "postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB"

# Two bare pipes chained: client → pipe 1 → pipe 2 → PostgreSQL.
p2=$(free_port)
node "$ROOT/bench/bare-pipe.mjs" "$p2" "$PG_HOST" "$PG_PORT" >"$TMP/pipe2.log" 2>&1 &
PIDS+=($!)
wait_for_pg "$p2" || { log "pipe 2 did not start"; exit 1; }
p1=$(free_port)
node "$ROOT/bench/bare-pipe.mjs" "$p1" 127.0.0.1 "$p2" >"$TMP/pipe1.log" 2>&1 &
PIDS+=($!)
wait_for_pg "$p1" || { log "pipe 1 did not start"; exit 1; }
run_pgbench two-pipes "postgresql://$PG_USER@127.0.0.1:$p1/$DB"

# The gateway (the pgbench.sh config: connections bench and bench_mask allowed), an agent
# created through the API, and a connection `bench_agent` served by it.
write_warden_config "$TMP/warden.yaml" "$TMP/warden-data"
sed -i 's/connections: \[bench, bench_mask\]/connections: [bench, bench_mask, bench_agent]/' "$TMP/warden.yaml"
ratio="n/a (the gateway did not start)"
if start_warden "$TMP/warden.yaml" && wait_for_pg "$WARDEN_PG_PORT"; then
  token=$(warden_access bench "$DB" bench)
  agent_token=$(api POST /api/v1/agents '{"name":"bench-edge"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
  api POST /api/v1/connections "{\"name\":\"bench_agent\",\"type\":\"postgres\",\"host\":\"$PG_HOST\",\"port\":$PG_PORT,\"database\":\"$DB\",\"username\":\"$PG_USER\",\"tls\":\"disable\",\"agent\":\"bench-edge\"}" >/dev/null
  (cd "$ROOT" && WARDEN_AGENT_TOKEN=$agent_token exec node bin/warden.mjs agent --gateway "$WARDEN_API" --allow "$PG_HOST:$PG_PORT" --log-level warn) >"$TMP/agent.log" 2>&1 &
  PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    api GET /api/v1/agents | grep -q '"remoteAddress"' && break
    sleep 0.1
  done
  run_pgbench gateway "postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/bench?sslmode=disable"
  run_pgbench via-agent "postgresql://bench:$token@127.0.0.1:$WARDEN_PG_PORT/bench_agent?sslmode=disable"
  ratio=$(awk -v a="${TPS[via-agent]}" -v b="${TPS[two-pipes]}" 'BEGIN { printf "%.2f", a / b }')
fi

printf '%-10s %12s %14s\n' target tps 'latency (ms)'
for t in direct two-pipes gateway via-agent; do
  [[ -n ${TPS[$t]:-} ]] && printf '%-10s %12s %14s\n' "$t" "${TPS[$t]}" "${LAT[$t]}"
done
echo "via-agent/two-bare-pipes ratio: $ratio"
