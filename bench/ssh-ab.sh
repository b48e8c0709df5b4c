#!/usr/bin/env bash
# A/B of two checkouts' SSH gateways in one session: scp throughput and the gateway's CPU.
#
# Usage: bench/ssh-ab.sh ROOT_A ROOT_B
# Starts one private sshd (bench/ssh-lib.sh) and one Warden gateway from each ROOT in front of it
# (each runs its own bin/warden.mjs: its dist/ bundle when that is current, so build both with
# `node scripts/build.mjs` in each checkout for bundle figures), then `scp`s the same MB file
# through A and B in turn with OpenSSH's default cipher (as a user's plain scp, issue 5's case),
# which goes first alternating, ROUNDS times. Prints each round's seconds, each gateway's CPU per
# transfer (utime + stime from /proc, worker threads included) and B/A throughput with its 90 %
# interval over the rounds (bench/ratio-interval.mjs against 1.0: `met` means B is faster).
# Direct scp is not run: on this class of VM it swings from 0.9 to 1.4 s per 200 MB between
# runs, more than most changes to the relay are worth; A and B in turn share the swing.
#
# Environment: MB (200), ROUNDS (16), WARMUP (transfers through each before the rounds, 2).
# Needs what bench/ssh.sh needs (root, sshd, scp, sshpass; installed with apt-get when missing).
# Every process started here is killed on exit.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 ROOT_A ROOT_B" >&2; exit 2; }
A_ROOT=$(cd "$1" && pwd)
B_ROOT=$(cd "$2" && pwd)
MB=${MB:-200}
ROUNDS=${ROUNDS:-16}
WARMUP=${WARMUP:-2}
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$BENCH_ROOT
log() { echo "[ssh-ab] $*" >&2; }
# shellcheck source=bench/warden-lib.sh
source "$ROOT/bench/warden-lib.sh"
# shellcheck source=bench/ssh-lib.sh
source "$ROOT/bench/ssh-lib.sh"
ssh_bench_init warden-ssh-ab
SCRATCH=$TMP

start_sshd
home=$(getent passwd "$SSHD_USER" | cut -d: -f6)
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$home/blob"
chown "$SSHD_USER" "$home/blob"

# start_ssh_gateway runs the checkout at ROOT and keeps its files in TMP: one of each per gateway.
declare -A PORT TOKEN GW_PID
for who in A B; do
  root_var=${who}_ROOT
  ROOT=${!root_var} TMP=$SCRATCH/$who
  mkdir -p "$TMP"
  start_ssh_gateway || { TMP=$SCRATCH; exit 1; }
  PORT[$who]=$GW_SSH_PORT TOKEN[$who]=$BENCH_TOKEN GW_PID[$who]=$WARDEN_PID
done
ROOT=$BENCH_ROOT TMP=$SCRATCH
log "sshd on $SSHD_PORT; A ($A_ROOT) on ${PORT[A]}, B ($B_ROOT) on ${PORT[B]}; $MB MB, $ROUNDS rounds"

# through A|B: the blob through that gateway with OpenSSH's own cipher choice, its size checked.
through() {
  rm -f "$TMP/out"
  SSHPASS=${TOKEN[$1]} default_cipher scp_from "${PORT[$1]}" bench@bench@127.0.0.1 "$home/blob" ||
    { log "scp through $1 failed: $(head -c 200 "$TMP/err")"; exit 1; }
  [[ $(stat -c %s "$TMP/out") == $((MB * 1024 * 1024)) ]] || { log "scp through $1: wrong size"; exit 1; }
}

for ((w = 0; w < WARMUP; w++)); do through A; through B; done
declare -A CPU=([A]=0 [B]=0)
pairs=()
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=(A B); else order=(B A); fi
  declare -A took=()
  for who in "${order[@]}"; do
    c0=$(cpu_ticks "${GW_PID[$who]}")
    t0=$(now)
    through "$who"
    took[$who]=$(calc "$(now) - $t0")
    CPU[$who]=$((CPU[$who] + $(cpu_ticks "${GW_PID[$who]}") - c0))
  done
  printf 'round %-2d A %5.2f s  B %5.2f s\n' "$r" "${took[A]}" "${took[B]}"
  pairs+=("$(calc "$MB / ${took[B]}"):$(calc "$MB / ${took[A]}")")
done
CLK_TCK=$(getconf CLK_TCK)
printf 'gateway CPU per transfer: A %.2f s, B %.2f s\n' "$(calc "${CPU[A]} / $CLK_TCK / $ROUNDS")" "$(calc "${CPU[B]} / $CLK_TCK / $ROUNDS")"
echo "B/A scp throughput (OpenSSH's default cipher), $ROUNDS interleaved rounds: $(node "$ROOT/bench/ratio-interval.mjs" 1.0 "${pairs[@]}")"
