#!/usr/bin/env bash
# A/B of the agent link's CPU cost on a busy machine: two gateway + agent stacks side by side,
# one from BEFORE_ROOT (a copy of the tree with the change reverted) and one from this tree,
# both to the same pgbench database, driven in alternating $SLICE-second via-agent pgbench
# slices ($ROUNDS rounds), so load drift hits both alike. Prints each round's and the total
# gateway and agent CPU µs per transaction (/proc/<pid>/stat). TPS ratios on a shared machine
# swing more than most changes; this does not.
#
# CONNECTION=bench drives the gateway alone (its direct connection) instead of bench_agent, for an A/B of the
# gateway's own statement path; the agent then idles.
#
# Usage: BEFORE_ROOT=/tmp/before bench/agent-ab.sh   (ROUNDS 8, SLICE 5, CLIENTS 8, JOBS 2, DB warden_bench_agent_ab,
# CONNECTION bench_agent)
# The before tree needs node_modules (a symlink to this tree's will do). WARDEN_FROM_SOURCE=1
# makes both run their sources. Needs what bench/agent.sh needs.
set -euo pipefail

: "${BEFORE_ROOT:?set BEFORE_ROOT to the tree to compare with}"
ROUNDS=${ROUNDS:-8}
SLICE=${SLICE:-5}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=${DB:-warden_bench_agent_ab}
CONNECTION=${CONNECTION:-bench_agent}

AFTER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$AFTER_ROOT
BASE=$(mktemp -d /tmp/warden-agent-ab.XXXXXX)
TMP=$BASE
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$AFTER_ROOT/bench/warden-lib.sh"
bench_on_exit() { dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null; }
bench_cleanup_on_exit "$BASE"

log() { echo "[agent-ab] $*" >&2; }
# shellcheck source=bench/agent-lib.sh
source "$AFTER_ROOT/bench/agent-lib.sh"

dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" 2>/dev/null
createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB"
pgbench -i -q -s 10 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB" >"$BASE/init.log" 2>&1 || { cat "$BASE/init.log" >&2; exit 1; }

declare -A URL GW AG N CG CA
for v in before after; do
  if [[ $v == before ]]; then ROOT=$BEFORE_ROOT; else ROOT=$AFTER_ROOT; fi
  start_agent_stack "$BASE/$v" "$PG_PORT" "$DB" bench
  URL[$v]="postgresql://bench:$BENCH_TOKEN@127.0.0.1:$WARDEN_PG_PORT/$CONNECTION?sslmode=disable"
  GW[$v]=$WARDEN_PID AG[$v]=$AGENT_PID N[$v]=0 CG[$v]=0 CA[$v]=0
  pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T 3 "${URL[$v]}" >/dev/null 2>&1 || true # warm-up
done

for ((r = 1; r <= ROUNDS; r++)); do
  # Each version goes first in every other round, so whatever drifts within a round hits both alike.
  order=(before after)
  ((r % 2)) || order=(after before)
  for v in "${order[@]}"; do
    g0=$(cpu_ticks "${GW[$v]}") a0=$(cpu_ticks "${AG[$v]}")
    out=$(pgbench -n -S -c "$CLIENTS" -j "$JOBS" -T "$SLICE" "${URL[$v]}" 2>&1) || { echo "$out" >&2; exit 1; }
    n=$(awk '/^number of transactions actually processed: / {print $6; exit}' <<<"$out")
    g=$(($(cpu_ticks "${GW[$v]}") - g0)) a=$(($(cpu_ticks "${AG[$v]}") - a0))
    N[$v]=$((N[$v] + n)) CG[$v]=$((CG[$v] + g)) CA[$v]=$((CA[$v] + a))
    echo "round $r $v: $n tx, gateway $(us_per_tx "$g" "$n") µs/tx, agent $(us_per_tx "$a" "$n") µs/tx" | tee -a "$BASE/rounds"
  done
done
for v in before after; do
  echo "total $v: ${N[$v]} tx, gateway $(us_per_tx "${CG[$v]}" "${N[$v]}") µs/tx, agent $(us_per_tx "${CA[$v]}" "${N[$v]}") µs/tx"
done
# One slow slice can move a total: each process's median over the rounds, and in how many rounds after was cheaper.
awk '{ v = $3; sub(":", "", v); g[v, $2] = $7; a[v, $2] = $10; s[v, $2] = $7 + $10; n = $2 }
  function median(x, v,   t, i, j, k) {
    for (i = 1; i <= n; i++) t[i] = x[v, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && t[j] < t[j - 1]; j--) { k = t[j]; t[j] = t[j - 1]; t[j - 1] = k }
    return n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
  }
  function won(x,   i, w) { for (i = 1; i <= n; i++) w += x["after", i] < x["before", i]; return w }
  END {
    printf "median of %d rounds, before → after µs/tx: gateway %.1f → %.1f (after lower in %d), agent %.1f → %.1f (%d), sum %.1f → %.1f (%d)\n",
      n, median(g, "before"), median(g, "after"), won(g), median(a, "before"), median(a, "after"), won(a), median(s, "before"), median(s, "after"), won(s)
  }' "$BASE/rounds"
