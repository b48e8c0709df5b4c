#!/usr/bin/env bash
# SSH throughput through Warden, through a bare ssh2 relay (bench/ssh-bare-relay.mjs:
# the floor for any relay built on ssh2) and against the same sshd directly, in one run:
#   ssh cat   `ssh host 'cat blob' > file` of a $MB MB file (exec, stdout relayed)
#   scp       `scp host:blob file` (OpenSSH 9's scp speaks SFTP: Warden's SFTP relay)
# Every leg uses AES-GCM (`-c aes128-gcm@openssh.com` on the client; the gateway
# and the bare relay offer and ask for AES-GCM first, src/protocols/ssh/algorithms.ts);
# five more rows, `direct scp, default -c`, `bare scp, default -c`, `warden scp, default -c` and `ssh cat`
# directly and through Warden, leave the
# cipher to OpenSSH's defaults, as a user's plain `scp` gets it: chacha20-poly1305 with sshd directly,
# AES-GCM with both relays (they offer clients AES-GCM alone, Warden's `ssh.clientCiphers` default).
# Before the rows, WARMUP (default 2) untimed transfers of each kind go through
# both relays: a fresh relay's first transfers cost up to 0.5 s more CPU than
# later ones (most likely V8 compiling the hot paths), more for Warden's larger
# code than for the bare relay, which would otherwise be counted as the relays' difference.
# Prints seconds, MB/s and the relay's CPU seconds per transfer (utime+stime from
# /proc, the least of the runs; in brackets the part off the main thread, i.e. V8's
# GC helpers) for each row, how busy the whole machine was during the fastest run
# (/proc/stat: every process, these and others; near 100 % the transfer is CPU-bound,
# and only less CPU in total, not moving work between threads, makes it faster), the gateway's peak RSS,
# how long a login alone takes directly and through Warden (part of every row: direct OpenSSH's is
# the slower), the warden/direct and bare/direct ratios of both, then ROUNDS (default 10)
# interleaved rounds of direct and Warden scp with OpenSSH's default cipher (the issue's target,
# ≥ 0.85) with the ratio's 90 % interval and met / not met / undecided (bench/ratio-interval.mjs),
# and as the last line `warden/direct ssh-cat throughput ratio: X`.
#
# Environment: MB (default 200), RUNS (best of, default 2), WARMUP (default 2),
# WARDEN_NODE_ARGS and BARE_NODE_ARGS (extra node flags, e.g.
# "--cpu-prof --cpu-prof-dir=/tmp/x-prof").
# Needs: root (it adds a throwaway OS user for its private sshd), sshd, ssh,
# scp, sshpass (OpenSSH and sshpass installed with apt-get when missing), node. Every process started here is killed on exit.
set -euo pipefail

MB=${MB:-200}
RUNS=${RUNS:-2}
ROUNDS=${ROUNDS:-10}
WARMUP=${WARMUP:-2}
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

# The bare relay, started like the gateway (BARE_NODE_ARGS for a profile).
BARE_PORT=$(free_port)
# shellcheck disable=SC2086
(cd "$ROOT" && BARE_TARGET_PASSWORD=$SSHD_PASSWORD exec node ${BARE_NODE_ARGS:-} bench/ssh-bare-relay.mjs \
  "$BARE_PORT" 127.0.0.1 "$SSHD_PORT" "$SSHD_USER") >"$TMP/bare.log" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
for _ in $(seq 1 100); do
  grep -q '^ssh-bare-relay:' "$TMP/bare.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '^ssh-bare-relay:' "$TMP/bare.log" || { log "the bare relay did not start: $(cat "$TMP/bare.log")"; exit 1; }
log "bare ssh2 relay on $BARE_PORT"

CLK_TCK=$(getconf CLK_TCK)
# best_of PID CMD…: runs CMD $RUNS times (output to $TMP/out), checks the size, prints the best
# seconds, the least CPU ticks PID spent on one run and the ticks its threads other than the
# main one spent in that same run ('- -' for PID '-'): the least, so a first run's one-off work
# (JIT warm-up, modules loaded on first use) does not count. The off-main ticks are V8's GC
# helpers: a few in a healthy run, about as many as the main thread's in a mark-compact storm
# (src/protocols/ssh/heap-growth.ts).
best_of() {
  local pid=$1 best='' cpu='' off='' busy='' t0 t1 c0 c1 m0 m1 b0 b1 s i
  shift
  for ((i = 0; i < RUNS; i++)); do
    rm -f "$TMP/out"
    [[ $pid == - ]] || { c0=$(cpu_ticks "$pid"); m0=$(thread_ticks "$pid"); }
    b0=$(machine_ticks)
    t0=$(now)
    "$@" || return 1
    t1=$(now)
    b1=$(machine_ticks)
    if [[ $pid != - ]]; then
      c1=$(cpu_ticks "$pid") m1=$(thread_ticks "$pid")
      if [[ -z $cpu ]] || ((c1 - c0 < cpu)); then cpu=$((c1 - c0)) off=$((c1 - c0 - (m1 - m0))); fi
    fi
    [[ $(stat -c %s "$TMP/out") == "$bytes" ]] || { log "wrong size: $(stat -c %s "$TMP/out") bytes"; return 1; }
    s=$(calc "$t1 - $t0")
    if [[ -z $best ]] || [[ $(calc "$s < $best") == 1 ]]; then
      best=$s
      busy=$(calc "100 * (${b1% *} - ${b0% *}) / ((${b1#* } - ${b0#* }) > 0 ? (${b1#* } - ${b0#* }) : 1)")
    fi
  done
  echo "$best ${cpu:--} ${off:--} $busy"
}
# machine_ticks: busy and total clock ticks of all CPUs so far (/proc/stat; iowait counts as idle).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
# thread_ticks PID: user + system CPU time of PID's main thread so far, in clock ticks.
thread_ticks() { awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat" 2>/dev/null || echo ''; }
# row LABEL PID CMD…: best_of PID CMD, printed with the relay's CPU seconds for one transfer
# (the least of the runs; '-' without a PID); sets SECONDS_OF[LABEL] (empty when CMD failed).
declare -A SECONDS_OF
row() {
  local label=$1 pid=$2 r s cpu off busy
  shift 2
  if ! r=$(best_of "$pid" "$@"); then
    SECONDS_OF[$label]=''
    printf '%-26s failed (%s)\n' "$label" "$(head -c 200 "$TMP/err" 2>/dev/null | tr '\n' ' ')"
    return 0
  fi
  read -r s cpu off busy <<<"$r"
  SECONDS_OF[$label]=$s
  if [[ $cpu == - ]]; then
    printf '%-26s %7.2f s  %7.1f MB/s  machine %3.0f %% busy\n' "$label" "$s" "$(calc "$MB / $s")" "$busy"
    return 0
  fi
  printf '%-26s %7.2f s  %7.1f MB/s  machine %3.0f %% busy  relay CPU %5.2f s per %s MB (%.2f off the main thread)\n' "$label" "$s" \
    "$(calc "$MB / $s")" "$busy" "$(calc "$cpu / $CLK_TCK")" "$MB" "$(calc "$off / $CLK_TCK")"
}
# ratio A B: throughput of row A over row B, 'n/a' when either failed.
ratio() {
  local a=${SECONDS_OF[$1]} b=${SECONDS_OF[$2]}
  [[ -n $a && -n $b ]] && printf '%.2f' "$(calc "$b / $a")" || echo n/a
}

ssh_to() { sshpass -e ssh "${SSH_OPTS[@]}" -p "$1" "$2" "$3" </dev/null >"$TMP/out" 2>"$TMP/err"; }
direct_cat() { SSHPASS=$SSHD_PASSWORD ssh_to "$SSHD_PORT" "$SSHD_USER@127.0.0.1" 'cat blob'; }
bare_cat() { SSHPASS=x ssh_to "$BARE_PORT" bench@127.0.0.1 'cat blob'; }
warden_cat() { SSHPASS=$BENCH_TOKEN ssh_to "$GW_SSH_PORT" bench@bench@127.0.0.1 "cat $home/blob"; }
direct_scp() { SSHPASS=$SSHD_PASSWORD scp_from "$SSHD_PORT" "$SSHD_USER@127.0.0.1" blob; }
bare_scp() { SSHPASS=x scp_from "$BARE_PORT" bench@127.0.0.1 blob; }
warden_scp() { SSHPASS=$BENCH_TOKEN scp_from "$GW_SSH_PORT" bench@bench@127.0.0.1 "$home/blob"; }
warden_scp_default_cipher() { default_cipher warden_scp; }
warden_cat_default_cipher() { default_cipher warden_cat; }
direct_cat_default_cipher() { default_cipher direct_cat; }
bare_scp_default_cipher() { default_cipher bare_scp; }
direct_scp_default_cipher() { default_cipher direct_scp; }
direct_login() { SSHPASS=$SSHD_PASSWORD default_cipher ssh_to "$SSHD_PORT" "$SSHD_USER@127.0.0.1" true; }
warden_login() { SSHPASS=$BENCH_TOKEN default_cipher ssh_to "$GW_SSH_PORT" bench@bench@127.0.0.1 true; }
# login_seconds CMD…: the least seconds of $RUNS runs of CMD (an `ssh host true`), 'n/a' when it failed.
login_seconds() {
  local best='' s t0 i
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    "$@" || { echo n/a; return 0; }
    s=$(calc "$(now) - $t0")
    if [[ -z $best ]] || [[ $(calc "$s < $best") == 1 ]]; then best=$s; fi
  done
  printf '%.2f' "$best"
}

for ((w = 0; w < WARMUP; w++)); do
  bare_cat && warden_cat && bare_scp && warden_scp && bare_scp_default_cipher && warden_scp_default_cipher ||
    { log "a warm-up transfer failed: $(head -c 200 "$TMP/err")"; exit 1; }
done

# Each kind's three rows back to back, so a drift in the load elsewhere hits them about alike.
row 'direct ssh cat' - direct_cat
row 'bare ssh cat' "$BARE_PID" bare_cat
row 'warden ssh cat' "$WARDEN_PID" warden_cat
row 'direct scp' - direct_scp
row 'bare scp' "$BARE_PID" bare_scp
row 'warden scp' "$WARDEN_PID" warden_scp
row 'direct scp, default -c' - direct_scp_default_cipher
row 'bare scp, default -c' "$BARE_PID" bare_scp_default_cipher
row 'warden scp, default -c' "$WARDEN_PID" warden_scp_default_cipher
row 'direct ssh cat, default -c' - direct_cat_default_cipher
row 'warden ssh cat, default -c' "$WARDEN_PID" warden_cat_default_cipher
echo "gateway peak RSS: $(($(peak_rss_kb "$WARDEN_PID") / 1024)) MB"
# Every row above includes a login, which costs direct OpenSSH (sntrup761 key exchange, the
# password checked by sshd) more than Warden: the transfer alone is a row's seconds minus this.
echo "login alone (\`ssh host true\`, OpenSSH's default cipher): direct $(login_seconds direct_login) s, warden $(login_seconds warden_login) s"
echo "bare/direct ssh-cat throughput ratio: $(ratio 'bare ssh cat' 'direct ssh cat')"
echo "bare/direct scp throughput ratio: $(ratio 'bare scp' 'direct scp'), OpenSSH's default cipher on both: $(ratio 'bare scp, default -c' 'direct scp, default -c')"
echo "warden/bare ssh-cat, scp throughput ratios: $(ratio 'warden ssh cat' 'bare ssh cat'), $(ratio 'warden scp' 'bare scp')"
echo "warden/direct scp throughput ratio: $(ratio 'warden scp' 'direct scp')"
echo "warden/direct scp throughput ratio, OpenSSH's default cipher on both: $(ratio 'warden scp, default -c' 'direct scp, default -c')"
echo "warden/direct ssh-cat throughput ratio, OpenSSH's default cipher on both: $(ratio 'warden ssh cat, default -c' 'direct ssh cat, default -c')"
# The issue's target, decided from interleaved rounds rather than from best-of rows: direct and
# Warden scp with OpenSSH's default cipher in turn (which goes first alternating), each round's
# pair of throughputs into bench/ratio-interval.mjs.
if ((ROUNDS > 0)); then
  pairs=()
  for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then order=(direct warden); else order=(warden direct); fi
    declare -A took=()
    for who in "${order[@]}"; do
      rm -f "$TMP/out"
      t0=$(now)
      "${who}_scp_default_cipher" || { log "a round's $who scp failed: $(head -c 200 "$TMP/err")"; exit 1; }
      took[$who]=$(calc "$(now) - $t0")
      [[ $(stat -c %s "$TMP/out") == "$bytes" ]] || { log "wrong size: $(stat -c %s "$TMP/out") bytes"; exit 1; }
    done
    pairs+=("$(calc "$MB / ${took[warden]}"):$(calc "$MB / ${took[direct]}")")
  done
  echo "warden/direct scp, OpenSSH's default cipher, $ROUNDS interleaved rounds: $(node "$ROOT/bench/ratio-interval.mjs" 0.85 "${pairs[@]}")"
fi
echo "warden/direct ssh-cat throughput ratio: $(ratio 'warden ssh cat' 'direct ssh cat')"
