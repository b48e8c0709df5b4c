#!/usr/bin/env bash
# A large result through Warden with masking on: does it stream, how fast, and
# how much memory does the gateway need for it?
#
# psql runs `COPY (SELECT … FROM generate_series(1, $ROWS)) TO STDOUT` (so psql
# streams too instead of holding the result) and its output is counted by wc:
#   direct        PostgreSQL at 127.0.0.1:5432
#   warden        through the gateway, policy + classification + recording, no mask
#   warden+mask   through the gateway on a connection whose mask rule is active:
#                 `*email*` redacted, `*filler*` hashed, every content detector on
#                 every value (the rows hold e-mail addresses and card-like numbers)
# and prints seconds, rows/s and MB/s (of what psql received) for each, then the
# gateway's peak RSS (VmHWM from /proc/<pid>/status), at start and at the end.
# Target (issue 3): peak RSS < 150 MB while streaming 5 million rows (~1 GB).
#
# Environment: ROWS (default 5000000), SKIP_PLAIN=1 (no unmasked Warden run).
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, psql,
# node. Every process started here is killed on exit.
set -euo pipefail

ROWS=${ROWS:-5000000}
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DB=postgres

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-large.XXXXXX)
PIDS=()

# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# On failure, the gateway's last words first.
bench_on_exit() {
  if [[ $1 != 0 && -s $TMP/warden.log ]]; then
    log "gateway log (tail):"
    tail -n 20 "$TMP/warden.log" >&2
  fi
}
bench_cleanup_on_exit "$TMP"

log() { echo "[large-result] $*" >&2; }

# About 185 bytes a row in COPY text: 5 million rows ≈ 0.9 GB.
query() {
  cat <<EOF
COPY (SELECT i AS id,
             'user' || i || '@example.com' AS email,
             md5(i::text) AS token_a, md5((i + 1)::text) AS token_b, md5((i + 2)::text) AS token_c,
             '4111 1111 1111 ' || lpad((i % 10000)::text, 4, '0') AS card_note,
             repeat('x', 30) AS filler
      FROM generate_series(1, $1) AS i) TO STDOUT
EOF
}

write_config() {
  cat >"$1" <<EOF
dataDir: $2
logLevel: warn
listeners:
  postgres: { host: 127.0.0.1, port: 0 }
  api: { host: 127.0.0.1, port: 0 }
policy:
  rules:
    - id: bench-allow
      match: { connections: [large, large_mask] }
      effect: allow
    - id: bench-mask
      match: { connections: [large_mask] }
      effect: mask
      mask:
        columns:
          - { name: '*email*', strategy: redact }
          - { name: '*filler*', strategy: hash }
        detectors: all
EOF
}

declare -A SECS BYTES

# stream NAME URL: times one COPY of $ROWS rows through URL into wc.
stream() {
  local name=$1 url=$2 t0 t1 bytes
  log "$name: $ROWS rows"
  t0=$(date +%s.%N)
  bytes=$(psql -X -v ON_ERROR_STOP=1 "$url" -c "$(query "$ROWS")" | wc -c) || { log "psql failed for $name"; return 1; }
  t1=$(date +%s.%N)
  SECS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  BYTES[$name]=$bytes
}

main() {
  local data_dir="$TMP/warden-data" config="$TMP/warden.yaml" token direct plain masked sample start_hwm start_rss
  mkdir -p "$data_dir"
  write_config "$config" "$data_dir"
  start_warden "$config"
  token=$(warden_access large "$DB" large large_mask)
  direct="postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB?sslmode=disable"
  plain="postgresql://large:$token@127.0.0.1:$WARDEN_PG_PORT/large?sslmode=disable"
  masked="postgresql://large:$token@127.0.0.1:$WARDEN_PG_PORT/large_mask?sslmode=disable"

  # fail closed: a masked run that does not mask would measure the wrong thing.
  sample=$(psql -X "$masked" -c "$(query 2)")
  if [[ $sample == *'@example.com'* || $sample != *'h:'* ]]; then
    log "masking is not active on large_mask; got: $sample"
    return 1
  fi
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  start_hwm=$(peak_rss_kb "$WARDEN_PID")
  start_rss=$(rss_kb "$WARDEN_PID")

  stream direct "$direct"
  [[ ${SKIP_PLAIN:-0} == 1 ]] || stream warden "$plain"
  local before_mask_hwm
  before_mask_hwm=$(peak_rss_kb "$WARDEN_PID")
  stream warden+mask "$masked"

  echo
  echo "COPY (SELECT … generate_series(1, $ROWS)) TO STDOUT via psql, $(nproc) CPUs"
  echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every row)"
  printf '%-12s %10s %12s %12s %12s\n' target seconds MB rows/s MB/s
  local t
  for t in direct warden warden+mask; do
    [[ -n ${SECS[$t]:-} ]] || continue
    awk -v t="$t" -v s="${SECS[$t]}" -v b="${BYTES[$t]}" -v r="$ROWS" \
      'BEGIN { printf "%-12s %10.2f %12.1f %12.0f %12.1f\n", t, s, b / 1e6, r / s, b / 1e6 / s }'
  done
  echo
  for t in warden warden+mask; do
    [[ -n ${SECS[$t]:-} ]] || continue
    awk -v t="$t" -v a="${SECS[direct]}" -v b="${SECS[$t]}" 'BEGIN { printf "%s/direct rows/s ratio: %.2f\n", t, a / b }'
  done
  echo "gateway RSS after start and the masking check: ${start_rss} kB (peak ${start_hwm} kB)"
  echo "gateway peak RSS before the masked stream (after direct${SKIP_PLAIN:+ only}${SKIP_PLAIN:-, warden}): ${before_mask_hwm} kB"
  echo "gateway current RSS at the end: $(rss_kb "$WARDEN_PID") kB"
  local hwm
  hwm=$(peak_rss_kb "$WARDEN_PID")
  awk -v k="$hwm" 'BEGIN { printf "gateway peak RSS (VmHWM): %.1f MB (target < 150 MB: %s)\n", k / 1024, (k / 1024 < 150 ? "met" : "missed") }'
}

main "$@"
