#!/usr/bin/env bash
# Gateway memory per idle interactive SSH session: opens $SESSIONS shells (PTY,
# asciicast recording, typed-line tracking) through Warden to a private sshd,
# lets them settle, and prints the gateway's RSS before and after and, as the
# last line, `gateway RSS per idle interactive session: X KB`.
#
# Environment: SESSIONS (default 200).
# Needs: root (a throwaway OS user for the private sshd), sshd (installed with apt-get when missing), node.
# Every process started here is killed on exit.
set -euo pipefail

SESSIONS=${SESSIONS:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[ssh-sessions] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/ssh-lib.sh
source "$ROOT/bench/ssh-lib.sh"
ssh_bench_init warden-ssh-sessions

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
