# Shared by bench/perf-pg.sh and bench/perf-mysql.sh (sourced, not run): one
# process under `perf record` while a load runs, reported in CPU µs per
# transaction by binary, symbol and JavaScript function.
#
# The process must run with `node --perf-prof --perf-prof-unwinding-info` in a
# working directory of its own (its jitdump is written there, and `perf inject
# --jit` needs it where it was written). `--perf-basic-prof` maps went stale on
# this machine (docs/performance.md, session 18); V8's own profiler is of little
# use on the wire (its samples land on the socket writes' syscalls).
#
# The caller sets TMP, TOP (rows per table), CALLERS (optional: a symbol whose
# callers to print; records call graphs) and sources bench/warden-lib.sh.

# The node flags a profiled process runs with.
PERF_NODE_ARGS="--perf-prof --perf-prof-unwinding-info"

# perf_profile NAME PID LOAD: runs `LOAD warm` (untimed), then `LOAD run` with PID under perf;
# LOAD's last output line must be `TX TPS` (transactions and their rate). Prints NAME's tables.
perf_profile() {
  local name=$1 pid=$2 load=$3 t0 t1 out n tps us perf_pid stat_pid
  "$load" warm >/dev/null
  # shellcheck disable=SC2086
  perf record -q -k 1 -F 2999 ${CALLERS:+-g} -o "$TMP/$name.data" -p "$pid" >/dev/null 2>&1 &
  perf_pid=$!
  # Syscalls counted over the same window (per transaction below).
  perf stat -x, -e syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex \
    -o "$TMP/$name.stat" -p "$pid" >/dev/null 2>&1 &
  stat_pid=$!
  sleep 0.5
  t0=$(cpu_ticks "$pid")
  out=$("$load" run) || return 1
  t1=$(cpu_ticks "$pid")
  kill -INT "$perf_pid" "$stat_pid"
  wait "$perf_pid" "$stat_pid" || true
  read -r n tps <<<"$(tail -n 1 <<<"$out")"
  us=$(us_per_tx "$((t1 - t0))" "$n")
  echo
  echo "== $name: $tps tps, $us CPU µs/tx ($n tx)"
  echo "-- syscalls per transaction: $(awk -F, -v n="$n" '$3 ~ /sys_enter_/ { s = $3; sub(/.*sys_enter_/, "", s); printf "%s %.2f  ", s, $1 / n }' "$TMP/$name.stat")"
  perf inject --jit -i "$TMP/$name.data" -o "$TMP/$name.jit.data" 2>"$TMP/$name.inject.log" || cp "$TMP/$name.data" "$TMP/$name.jit.data"
  (
    # `head` closes perf report's pipe early: not a failure.
    set +o pipefail
    # perf inject puts each JIT-compiled function in a jitted-PID-N.so of its own: summed as "JavaScript (JIT)".
    echo "-- by binary (µs/tx)"
    perf report -q -i "$TMP/$name.jit.data" --no-children --sort dso 2>/dev/null |
      awk -v us="$us" 'NF >= 2 { p = $1; sub(/%/, "", p); $1 = ""; d = $0; if (d ~ /jitted-|\[JIT\]/) d = " JavaScript (JIT)"; t[d] += p * us / 100 }
        END { for (d in t) if (t[d] >= 0.05) printf "%6.2f %s\n", t[d], d }' | sort -rn
    echo "-- top symbols (µs/tx)"
    perf report -q -i "$TMP/$name.jit.data" --no-children --sort sym --percent-limit 0.3 2>/dev/null | head -n "$TOP" | perf_per_tx "$us"
    echo "-- top JavaScript (µs/tx)"
    perf report -q -i "$TMP/$name.jit.data" --no-children --sort dso,sym 2>/dev/null | { grep -E 'jitted-|\[JIT\]' || true; } | head -n "$TOP" |
      awk '{ $2 = ""; print }' | perf_per_tx "$us"
    echo "-- top in node itself: V8 builtins and runtime, GC, libuv (µs/tx)"
    perf report -q -i "$TMP/$name.jit.data" --no-children --dsos node --sort sym 2>/dev/null | head -n "$TOP" | perf_per_tx "$us"
    if [[ -n ${CALLERS:-} ]]; then
      echo "-- callers of $CALLERS (% of all samples)"
      perf report -q -i "$TMP/$name.jit.data" --no-children --sort sym --symbols "$CALLERS" -g caller,0.02,callee,function,percent --stdio 2>/dev/null | head -n 80
    fi
  )
}

# perf_per_tx US: perf report rows (a percentage first) as µs per transaction, given US µs/tx in all.
perf_per_tx() {
  awk -v us="$1" 'NF >= 2 { p = $1; sub(/%/, "", p); $1 = ""; printf "%6.2f  %s\n", p * us / 100, $0 }'
}
