# Shared by bench/ssh.sh and bench/ssh-sessions.sh (sourced, not run): a
# private OpenSSH server and a Warden gateway in front of it, set up the way
# test/helpers/sshd.ts and an administrator would.
#
# The caller sets ROOT, defines log(), sources bench/warden-lib.sh and this
# file, then calls ssh_bench_init <name>: it makes TMP (a scratch dir) and
# PIDS (processes to kill) and, on exit, kills PIDS, removes the sshd's OS
# user and TMP, and shows the gateway log's tail when the run failed.

# ssh_bench_init <name>: the scratch dir /tmp/<name>.XXXXXX and the exit trap.
ssh_bench_init() {
  TMP=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$TMP"
  PIDS=()
  trap ssh_bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

ssh_bench_cleanup() {
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

# ensure_ssh_tools: sshd, the OpenSSH client and sshpass (the benches log in with a
# password or token), installed with apt-get when missing, as .ci/run does for the tests.
ensure_ssh_tools() {
  [[ -x /usr/sbin/sshd ]] && command -v ssh scp sshpass >/dev/null && return 0
  log "OpenSSH or sshpass missing: apt-get install -y openssh-server openssh-client sshpass"
  DEBIAN_FRONTEND=noninteractive apt-get install -y openssh-server openssh-client sshpass >"$TMP/apt.log" 2>&1 ||
    { cat "$TMP/apt.log" >&2; return 1; }
}

# start_sshd: its own config, host key, port and OS user (a password, UsePAM no),
# like the test helper; the system sshd is never touched. Sets SSHD_PORT,
# SSHD_USER, SSHD_PASSWORD, SSHD_PID. Needs root; installs OpenSSH when missing.
start_sshd() {
  ensure_ssh_tools || return 1
  SSHD_USER="wdnb$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  SSHD_PASSWORD="Pw-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  SSHD_PORT=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -f "$TMP/host_ed25519"
  useradd -m -s /bin/sh "$SSHD_USER"
  echo "$SSHD_USER:$SSHD_PASSWORD" | chpasswd
  mkdir -p /run/sshd
  cat >"$TMP/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $TMP/host_ed25519
PidFile $TMP/sshd.pid
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $SSHD_USER
StrictModes no
LogLevel ERROR
MaxStartups 100:30:300
MaxSessions 10
Subsystem sftp internal-sftp
EOF
  /usr/sbin/sshd -D -e -f "$TMP/sshd_config" 2>"$TMP/sshd.log" &
  SSHD_PID=$!
  PIDS+=("$SSHD_PID")
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  log "sshd did not start: $(cat "$TMP/sshd.log")"
  return 1
}

# cleanup_sshd_user: removes the OS user start_sshd made (if any).
cleanup_sshd_user() {
  [[ -n ${SSHD_USER:-} ]] && userdel -r -f "$SSHD_USER" 2>/dev/null
  return 0
}

# start_ssh_gateway: a gateway with its SSH listener on a free port, a user
# `bench` with a token, and the connection `bench` to the private sshd; every
# command and file operation on it is allowed (the bench measures the relay).
# Sets GW_SSH_PORT, BENCH_TOKEN (and what start_warden sets).
start_ssh_gateway() {
  GW_SSH_PORT=$(free_port)
  cat >"$TMP/warden.yaml" <<EOF
dataDir: $TMP/data
logLevel: warn
listeners:
  postgres: { host: 127.0.0.1, port: 0 }
  api: { host: 127.0.0.1, port: 0 }
  ssh: { enabled: true, host: 127.0.0.1, port: $GW_SSH_PORT }
recording: { flushIntervalMs: 1000 }
policy:
  rules:
    - id: bench-allow
      description: the benchmark connection may run anything
      match: { connections: [bench] }
      effect: allow
EOF
  start_warden "$TMP/warden.yaml"
  local cli=(node "$ROOT/bin/warden.mjs")
  local -x WARDEN_URL=$WARDEN_API WARDEN_TOKEN=$WARDEN_ADMIN BENCH_SSH_PASSWORD=$SSHD_PASSWORD
  "${cli[@]}" users create bench --json >"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; return 1; }
  BENCH_TOKEN=$("${cli[@]}" tokens create bench --name bench --json 2>>"$TMP/setup.log" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))') ||
    { cat "$TMP/setup.log" >&2; return 1; }
  "${cli[@]}" connections create bench --type ssh --host 127.0.0.1 --port "$SSHD_PORT" --username "$SSHD_USER" \
    --password-env BENCH_SSH_PASSWORD --json >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; return 1; }
}

# SSH_OPTS: the OpenSSH client options every run uses: no host key checks (fresh keys
# each run), password only, AES-GCM asked for explicitly on every leg.
SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 -c aes128-gcm@openssh.com)

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
# scp_from PORT USER@HOST PATH: downloads PATH to $TMP/out with SSH_OPTS (the password in $SSHPASS), stderr in $TMP/err.
scp_from() { sshpass -e scp -q "${SSH_OPTS[@]}" -P "$1" "$2:$3" "$TMP/out" </dev/null 2>"$TMP/err"; }
# default_cipher CMD…: CMD with SSH_OPTS without its last two words (`-c aes128-gcm@openssh.com`): OpenSSH's own cipher choice.
default_cipher() { local SSH_OPTS=("${SSH_OPTS[@]:0:${#SSH_OPTS[@]}-2}"); "$@"; }
