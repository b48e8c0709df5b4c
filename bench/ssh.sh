#!/usr/bin/env bash
# SSH throughput through Warden against the same sshd directly, in one run:
#   ssh cat   `ssh host 'cat blob' > file` of a $MB MB file (exec, stdout relayed)
#   scp       `scp host:blob file` (OpenSSH's scp speaks SFTP; skipped with a note
#             while the gateway cannot do it)
# Both legs use AES-GCM (`-c aes128-gcm@openssh.com` on the client; the gateway
# offers and asks for AES-GCM first, src/protocols/ssh/algorithms.ts). Prints
# seconds and MB/s per run, then the gateway's peak RSS, and as the last line
# `warden/direct ssh-cat throughput ratio: X`.
#
# Environment: MB (default 200), RUNS (best of, default 2).
# Needs: root (it adds a throwaway OS user for its private sshd), sshd, ssh,
# scp, sshpass, node. Every process started here is killed on exit.
set -euo pipefail

MB=${MB:-200}
RUNS=${RUNS:-2}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[ssh-bench] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/ssh-lib.sh
source "$ROOT/bench/ssh-lib.sh"
ssh_bench_init warden-ssh-bench

start_sshd
start_ssh_gateway
home=$(getent passwd "$SSHD_USER" | cut -d: -f6)
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$home/blob"
chown "$SSHD_USER" "$home/blob"
bytes=$((MB * 1024 * 1024))
log "sshd on $SSHD_PORT, gateway ssh on $GW_SSH_PORT, $MB MB file, best of $RUNS"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
# best_of CMD…: runs CMD $RUNS times (output to $TMP/out), checks the size, prints the best seconds.
best_of() {
  local best='' t0 t1 s i
  for ((i = 0; i < RUNS; i++)); do
    rm -f "$TMP/out"
    t0=$(now)
    "$@" || return 1
    t1=$(now)
    [[ $(stat -c %s "$TMP/out") == "$bytes" ]] || { log "wrong size: $(stat -c %s "$TMP/out") bytes"; return 1; }
    s=$(calc "$t1 - $t0")
    if [[ -z $best ]] || [[ $(calc "$s < $best") == 1 ]]; then best=$s; fi
  done
  echo "$best"
}
report() { printf '%-22s %7.2f s  %7.1f MB/s\n' "$1" "$2" "$(calc "$MB / $2")"; }

direct_cat() { SSHPASS=$SSHD_PASSWORD sshpass -e ssh "${SSH_OPTS[@]}" -p "$SSHD_PORT" "$SSHD_USER@127.0.0.1" 'cat blob' >"$TMP/out"; }
warden_cat() { SSHPASS=$BENCH_TOKEN sshpass -e ssh "${SSH_OPTS[@]}" -p "$GW_SSH_PORT" "bench@bench@127.0.0.1" "cat $home/blob" >"$TMP/out"; }
direct_scp() { SSHPASS=$SSHD_PASSWORD sshpass -e scp -q "${SSH_OPTS[@]}" -P "$SSHD_PORT" "$SSHD_USER@127.0.0.1:blob" "$TMP/out"; }
warden_scp() { SSHPASS=$BENCH_TOKEN sshpass -e scp -q "${SSH_OPTS[@]}" -P "$GW_SSH_PORT" "bench@bench@127.0.0.1:$home/blob" "$TMP/out" 2>"$TMP/scp.err"; }

d_cat=$(best_of direct_cat)
report 'direct ssh cat' "$d_cat"
w_cat=$(best_of warden_cat)
report 'warden ssh cat' "$w_cat"
d_scp=$(best_of direct_scp)
report 'direct scp' "$d_scp"
if w_scp=$(best_of warden_scp); then
  report 'warden scp' "$w_scp"
  echo "warden/direct scp throughput ratio: $(printf '%.2f' "$(calc "$d_scp / $w_scp")")"
else
  echo "warden scp: not working through the gateway yet ($(head -c 200 "$TMP/scp.err" 2>/dev/null | tr '\n' ' '))"
fi
echo "gateway peak RSS: $(($(peak_rss_kb "$WARDEN_PID") / 1024)) MB"
echo "warden/direct ssh-cat throughput ratio: $(printf '%.2f' "$(calc "$d_cat / $w_cat")")"
