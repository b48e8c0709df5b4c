#!/usr/bin/env bash
# Gateway memory per idle interactive SSH session: opens $SESSIONS shells (PTY,
# asciicast recording, typed-line tracking) through Warden to a private sshd,
# lets them settle, and prints the gateway's RSS before and after and, as the
# last line, `gateway RSS per idle interactive session: X KB`.
#
# Environment: SESSIONS (default 200).
# Needs: root (a throwaway OS user for the private sshd), sshd, node.
# Every process started here is killed on exit.
set -euo pipefail

SESSIONS=${SESSIONS:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/warden-ssh-sessions.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
  local status=$?
  set +e
  if [[ $status != 0 && -s $TMP/warden.log ]]; then
    log "gateway log (tail):"
    tail -n 20 "$TMP/warden.log" >&2
  fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  cleanup_sshd_user
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[ssh-sessions] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/ssh-lib.sh
source "$ROOT/bench/ssh-lib.sh"

start_sshd
start_ssh_gateway

# One shell first, so the baseline includes what the first session loads (ssh2, the classifier…).
idle() {
  mkfifo "$TMP/hold-$1"
  (cd "$ROOT" && node bench/ssh-idle.mjs "$GW_SSH_PORT" bench@bench "$BENCH_TOKEN" "$1" <"$TMP/hold-$1" >"$TMP/idle-$1.out" 2>&1) &
  PIDS+=("$!")
  exec {fd}>"$TMP/hold-$1"
  for _ in $(seq 1 1200); do
    grep -q '^ready' "$TMP/idle-$1.out" 2>/dev/null && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  log "the idle sessions did not open: $(tail -n 5 "$TMP/idle-$1.out")"
  return 1
}
idle 1
sleep 3
before=$(rss_kb "$WARDEN_PID")
log "opening $SESSIONS idle shells…"
idle "$SESSIONS"
sleep 5
after=$(rss_kb "$WARDEN_PID")
echo "gateway RSS with 1 idle shell: $((before / 1024)) MB"
echo "gateway RSS with $((SESSIONS + 1)) idle shells: $((after / 1024)) MB"
echo "gateway RSS per idle interactive session: $(((after - before) / SESSIONS)) KB"
