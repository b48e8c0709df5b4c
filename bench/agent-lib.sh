# Shared by bench/agent.sh and bench/agent-scale.sh (sourced, not run): a Warden
# gateway and a `warden agent` linked to it, set up through the REST API the way an
# administrator would.
#
# The caller sets ROOT, TMP, PIDS, PG_HOST, PG_PORT, PG_USER, defines log() and
# sources bench/warden-lib.sh before this file.

# api METHOD PATH JSON: a REST call with the bootstrap admin token; prints the response body.
api() {
  node -e '
    const [m, url, token, body] = process.argv.slice(1);
    fetch(url, { method: m, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body || undefined })
      .then(async (r) => { const t = await r.text(); if (!r.ok) { console.error(r.status, t); process.exit(1); } console.log(t); });
  ' "$1" "$WARDEN_API$2" "$WARDEN_ADMIN" "${3:-}"
}

# start_agent_stack DIR TARGET_PORT DATABASE [CONNECTION…]: a fresh gateway in DIR (TMP is set
# to DIR) with the pgbench policy (its allow rule also covering `bench_agent` and agent.sh's
# `bench_pipe`), user `bench` (token in BENCH_TOKEN) and each direct
# CONNECTION to $PG_HOST:$PG_PORT/DATABASE; an agent `bench-edge` created through the API and
# started with --allow $PG_HOST:TARGET_PORT; and the connection `bench_agent` to
# $PG_HOST:TARGET_PORT/DATABASE through it. Waits until the agent is linked. Sets AGENT_PID
# and the start_warden variables. AGENT_NODE_ARGS: extra node flags for the agent (as
# WARDEN_NODE_ARGS for the gateway), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". WARDEN_CWD: both
# processes' working directory (where `--perf-prof` writes jitdumps), default ROOT.
start_agent_stack() {
  local dir=$1 target_port=$2 database=$3 agent_token i
  shift 3
  TMP=$dir
  mkdir -p "$TMP"
  write_warden_config "$TMP/warden.yaml" "$TMP/warden-data"
  sed -i 's/connections: \[bench, bench_mask\]/connections: [bench, bench_mask, bench_agent, bench_pipe]/' "$TMP/warden.yaml"
  start_warden "$TMP/warden.yaml" || return 1
  wait_for_pg "$WARDEN_PG_PORT" || { log "the gateway does not answer on $WARDEN_PG_PORT"; return 1; }
  BENCH_TOKEN=$(warden_access bench "$database" "$@") || return 1
  agent_token=$(api POST /api/v1/agents '{"name":"bench-edge"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))') || return 1
  api POST /api/v1/connections "{\"name\":\"bench_agent\",\"type\":\"postgres\",\"host\":\"$PG_HOST\",\"port\":$target_port,\"database\":\"$database\",\"username\":\"$PG_USER\",\"tls\":\"disable\",\"agent\":\"bench-edge\"}" >/dev/null || return 1
  # shellcheck disable=SC2086
  (cd "${WARDEN_CWD:-$ROOT}" && WARDEN_AGENT_TOKEN=$agent_token exec node ${AGENT_NODE_ARGS:-} "$ROOT/bin/warden.mjs" agent --gateway "$WARDEN_API" --allow "$PG_HOST:$target_port" --log-level warn) >"$TMP/agent.log" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  for ((i = 0; i < 600; i++)); do
    api GET /api/v1/agents | grep -q '"remoteAddress"' && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "the agent did not link: $(tail -n 5 "$TMP/agent.log")"
  return 1
}

# stop_agent_stack: stops the agent and the gateway (SIGTERM, so a --cpu-prof profile is written).
stop_agent_stack() {
  kill "$AGENT_PID" "$WARDEN_PID" 2>/dev/null || true
  wait "$AGENT_PID" "$WARDEN_PID" 2>/dev/null || true
}
