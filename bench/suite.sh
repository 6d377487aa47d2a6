#!/usr/bin/env bash
# The benchmark suite (issue #12): libroam against the limit (a plain libuv
# frame echo), the Rust reference (roam 7.3.0 crates, release build) and
# gRPC C++ (async API), every peer measured in the same run, each workload
# alternated A B C A B C … over ROUNDS rounds with a fresh server per run.
#
#   bench/suite.sh BUILD_DIR SOURCE_DIR [--rounds N] [--smoke]
#
# Writes BUILD_DIR/bench-results/: raw.csv (one row per figure of every
# run), latest.md (the table: medians, spreads, ratios, targets), PNG
# plots, latency samples, server logs. Without --smoke the table and the
# plots are copied to SOURCE_DIR/bench/results/. --smoke: tiny counts, one
# round, no copy, exit status non-zero if any piece of the harness failed
# (bench/smoke.sh, the CI check). Counts scale with ROAM_BENCH_SCALE
# (default 1; the smoke run uses its own). ROAM_BENCH_OUT overrides the
# results directory; ROAM_BENCH_COPY=0 keeps the copy out of the source tree.
set -uo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
shift 2
rounds=5
smoke=0
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --smoke) smoke=1 ;;
    *) echo "suite.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
((smoke)) && rounds=${ROAM_BENCH_SMOKE_ROUNDS:-1}

out=${ROAM_BENCH_OUT:-$build/bench-results}
mkdir -p "$out"
rm -rf "$out/lat" "$out/logs" "$out/raw.csv" "$out/latest.md" "$out/notes.txt" "$out"/*.png
mkdir -p "$out/lat" "$out/logs"
raw=$out/raw.csv
echo "workload,impl,round,key,value" >"$raw"
work=$(mktemp -d)
bin=$build/bench
shim=$bin/alloc_shim.so
roamcat=$build/tools/roamcat
failures=0
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

note() { echo "suite: $*" | tee -a "$out/notes.txt" >&2; }
fail() {
  note "FAILED: $*"
  failures=$((failures + 1))
}

for p in roam_bench roam_bench_server plain_echo_server plain_echo_client alloc_shim.so; do
  [[ -e $bin/$p ]] || { echo "suite: $bin/$p is missing: build the bench-programs target" >&2; exit 1; }
done

# ---- counts ----------------------------------------------------------------------------
s() {  # count → count scaled (never below 1)
  local v
  v=$(awk -v c="$1" -v k="${ROAM_BENCH_SCALE:-1}" 'BEGIN {v = int(c * k); print ((v < 1) ? 1 : v)}')
  echo "$v"
}
if ((smoke)); then
  N_UNARY1=300 N_UNARY64=3000 N_SESS=600 N_STREAM=3000 N_CHURN=300 N_1M=3 N_16M=1
  N_IDLE=50 N_VCONN=500 N_GROWTH=3000 N_SCALE=2000 N_TEARDOWN=500 SLOW=1 SLOW_P=1 FAST=1
else
  N_UNARY1=$(s 20000) N_UNARY64=$(s 1000000) N_SESS=$(s 60000) N_STREAM=$(s 1000000)
  N_CHURN=$(s 100000) N_1M=$(s 200) N_16M=$(s 16) N_IDLE=$(s 10000) N_VCONN=$(s 100000)
  N_GROWTH=$(s 1000000) N_SCALE=$(s 3000000) N_TEARDOWN=$(s 10000)
  SLOW=4     # gRPC and the Rust server are several times slower: fewer calls, same seconds
  SLOW_P=10  # … and pipelined, 20 to 30 times
  FAST=4  # the plain echo pipelined is several times faster: more frames, same seconds
fi
CLIENT_TIMEOUT=$(((smoke) ? 60 : 600))

# ---- the ulimit for 10,000 sessions ----------------------------------------------------
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < N_IDLE + 200)); then
  note "open-file limit $(ulimit -n): idle sessions reduced from $N_IDLE"
  N_IDLE=$(($(ulimit -n) - 200))
fi

# ---- peers ---------------------------------------------------------------------------
have_grpc=0
if [[ -x $bin/grpc_echo_server && -x $bin/grpc_echo_client ]]; then
  have_grpc=1
else
  note "gRPC C++ skipped: grpc_echo_server/grpc_echo_client not built (Debian: libgrpc++-dev protobuf-compiler-grpc)"
fi

peer=
if ((smoke)); then
  for cand in "$build/cargo/release/roam-interop-peer" "$build/cargo/debug/roam-interop-peer"; do
    [[ -x $cand ]] && { peer=$cand; break; }
  done
  [[ -z $peer ]] && note "Rust reference skipped: no roam-interop-peer built in $build/cargo (make test or make bench builds it)"
  [[ $peer == */debug/* ]] && note "Rust reference: the debug build (smoke run; make bench uses the release build)"
elif command -v cargo >/dev/null; then
  echo "building the Rust peer in release mode…"
  if cargo build --release --locked --quiet --manifest-path "$src/tests/interop/peer/Cargo.toml" \
    --target-dir "$build/cargo"; then
    peer=$build/cargo/release/roam-interop-peer
  else
    fail "cargo build of the Rust peer"
  fi
else
  note "Rust reference skipped: no cargo"
fi
if [[ -n $peer ]]; then
  M_ECHO=$("$peer" method-ids | awk '$2 == "echo" {print $3}')
  M_SUM=$("$peer" method-ids | awk '$2 == "sum" {print $3}')
else
  M_ECHO=0x135fc39dded6867e  # Interop.echo as roam 7.3.0 computes it
  M_SUM=0xd4f63fda7d6a8f85   # Interop.sum
fi

roamcat_flags=()
if "$roamcat" serve --help 2>/dev/null | grep -q -- --quiet; then
  roamcat_flags+=(--quiet)
  roamcat_server=roamcat
else
  note "roamcat serve has no --quiet: libroam served by roam_bench_server instead"
  roamcat_server=roamsrv
fi
roamcat_threads=0
"$roamcat" serve --help 2>/dev/null | grep -q -- --threads && roamcat_threads=1
((roamcat_threads)) || note "roamcat serve has no --threads: scaling measured on roam_bench_server only"

# ---- servers -------------------------------------------------------------------------
# start_server KIND TRANSPORT [extra args…] → server_pid, addr, stats
#   KIND: plain | roamcat | roamsrv | rust | grpc; TRANSPORT: tcp | unix
sock_n=0
start_server() {
  local kind=$1 transport=$2
  shift 2
  local listen
  sock_n=$((sock_n + 1))
  if [[ $transport == unix ]]; then listen=unix:$work/s$sock_n.sock; else listen=tcp://127.0.0.1:0; fi
  stats=$work/stats-$sock_n.txt
  local log=$out/logs/server-$sock_n-$kind.log
  : >"$stats"
  case $kind in
    plain) LD_PRELOAD=$shim ROAM_ALLOC_STATS=$stats "$bin/plain_echo_server" "$listen" >"$log" 2>&1 & ;;
    roamcat) LD_PRELOAD=$shim ROAM_ALLOC_STATS=$stats "$roamcat" serve "$listen" "${roamcat_flags[@]}" "$@" >"$log" 2>&1 & ;;
    roamsrv) LD_PRELOAD=$shim ROAM_ALLOC_STATS=$stats "$bin/roam_bench_server" "$listen" "$@" >"$log" 2>&1 & ;;
    grpc) LD_PRELOAD=$shim ROAM_ALLOC_STATS=$stats "$bin/grpc_echo_server" "$listen" "$@" >"$log" 2>&1 & ;;
    rust)
      local rl=${listen/tcp:\/\//tcp:}
      LD_PRELOAD=$shim ROAM_ALLOC_STATS=$stats "$peer" bench-serve "$rl" >"$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  addr=
  for _ in $(seq 400); do
    addr=$(sed -nE 's/^LISTENING tcp:(.*)/tcp:\/\/\1/p; s/^LISTENING (unix:.*)/\1/p; s/^listening on ([^ ]*).*/\1/p' "$log" | head -n 1)
    [[ -n $addr ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.025
  done
  if [[ -z $addr ]]; then
    fail "server $kind ($transport) did not start: $(tail -n 3 "$log" | tr '\n' ' ')"
    stop_server
    return 1
  fi
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# record WORKLOAD IMPL ROUND "RESULT k=v …" → raw.csv rows
record() {
  local line=$4
  tr ' ' '\n' <<<"${line#RESULT }" | awk -F= -v w="$1" -v i="$2" -v r="$3" 'NF == 2 {print w "," i "," r "," $1 "," $2}' >>"$raw"
}

# run WORKLOAD IMPL ROUND SERVER_KIND TRANSPORT 'server args' -- client command…
# In the client command @ADDR@ becomes the server's address and @PROBE@ its
# pid and shim report file (--server-pid … --server-stats …).
run() {
  local workload=$1 impl=$2 round=$3 kind=$4 transport=$5 sargs=$6
  shift 7
  # shellcheck disable=SC2086
  start_server "$kind" "$transport" $sargs || return 0
  local cmd=$*
  cmd=${cmd//@ADDR@/$addr}
  cmd=${cmd//@PROBE@/--server-pid $server_pid --server-stats $stats}
  local res rc
  if [[ $1 == rust_client ]]; then  # a function (it runs the peer under timeout itself)
    # shellcheck disable=SC2086
    res=$($cmd 2>"$work/client.err")
    rc=$?
  else
    # shellcheck disable=SC2086
    res=$(timeout "$CLIENT_TIMEOUT" $cmd 2>"$work/client.err")
    rc=$?
  fi
  stop_server
  local line
  line=$(grep '^RESULT ' <<<"$res" | tail -n 1)
  if [[ $rc -ne 0 || -z $line ]]; then
    fail "$workload/$impl round $round (exit $rc): $(tail -n 2 "$work/client.err" | tr '\n' ' ')"
    return 0
  fi
  record "$workload" "$impl" "$round" "$line"
  printf '  %-14s %-16s r%s  %s\n' "$workload" "$impl" "$round" "$(awk '{for (i = 2; i <= 4; i++) printf "%s ", $i}' <<<"$line")"
}

# The Rust client (bench-call): BENCH calls=N seconds=S → a RESULT line.
rust_client() {  # ADDR CALLS CONCURRENCY
  local a=${1/tcp:\/\//tcp:}
  timeout "$CLIENT_TIMEOUT" "$peer" bench-call --connect "$a" --calls "$2" --concurrency "$3" |
    awk -F'[ =]' '/^BENCH/ {printf "RESULT ops=%s seconds=%s rate=%.1f\n", $3, $5, $3 / $5}'
}

RB=$bin/roam_bench
PC=$bin/plain_echo_client
GC=$bin/grpc_echo_client

# The frame sizes of our echo call: the plain echo sends frames of that size.
start_server roamsrv tcp || exit 1
frames=$("$RB" framesize "$addr" --method "$M_ECHO" --payload 16 --sink "$M_SUM")
stop_server
CALL_FRAME=$(sed -n 's/^FRAMES call=\([0-9]*\).*/\1/p' <<<"$frames")
[[ -n $CALL_FRAME ]] || { fail "framesize"; CALL_FRAME=29; }
ITEM_FRAME=$(sed -n 's/^FRAMES .*item=\([0-9]*\).*/\1/p' <<<"$frames")
[[ -n $ITEM_FRAME && $ITEM_FRAME != 0 ]] || { fail "framesize (item)"; ITEM_FRAME=74; }
echo "all,all,0,call_frame_bytes,$CALL_FRAME" >>"$raw"
echo "all,all,0,item_frame_bytes,$ITEM_FRAME" >>"$raw"
echo "frames: a 16-byte echo call is $CALL_FRAME bytes on the wire, a 64-byte channel item $ITEM_FRAME (prefixes included)"

lat_opt() { echo "--lat-out $out/lat/$1-$2-r$3.txt"; }

for ((r = 1; r <= rounds; r++)); do
  echo "round $r of $rounds"
  for t in tcp unix; do
    sfx=; [[ $t == unix ]] && sfx=-unix
    # ---- unary echo, 1 in flight: latency ----
    run "unary1$sfx" plain "$r" plain $t "" -- $PC @ADDR@ --frame $CALL_FRAME --count $N_UNARY1 --inflight 1 @PROBE@ $(lat_opt unary1$sfx plain $r)
    run "unary1$sfx" libroam "$r" $roamcat_server $t "" -- $RB unary @ADDR@ --method $M_ECHO --calls $N_UNARY1 --inflight 1 @PROBE@ $(lat_opt unary1$sfx libroam $r)
    if [[ -n $peer ]]; then
      run "unary1$sfx" rust "$r" rust $t "" -- rust_client @ADDR@ $((N_UNARY1 / SLOW)) 1
      run "unary1$sfx" libroam-rust "$r" rust $t "" -- $RB unary @ADDR@ --method $M_ECHO --calls $((N_UNARY1 / SLOW)) --inflight 1 @PROBE@ $(lat_opt unary1$sfx libroam-rust $r)
    fi
    ((have_grpc)) && run "unary1$sfx" grpc "$r" grpc $t "" -- $GC unary @ADDR@ --calls $((N_UNARY1 / SLOW)) --inflight 1 @PROBE@ $(lat_opt unary1$sfx grpc $r)
    # ---- unary echo, 64 and 256 in flight: calls/s ----
    for c in 64 256; do
      run "unary$c$sfx" plain "$r" plain $t "" -- $PC @ADDR@ --frame $CALL_FRAME --count $((N_UNARY64 * FAST)) --inflight $c @PROBE@
      run "unary$c$sfx" libroam "$r" $roamcat_server $t "--max-requests $c" -- $RB unary @ADDR@ --method $M_ECHO --calls $N_UNARY64 --inflight $c @PROBE@
      if [[ -n $peer ]]; then
        run "unary$c$sfx" rust "$r" rust $t "" -- rust_client @ADDR@ $((N_UNARY64 / SLOW_P)) $c
        run "unary$c$sfx" libroam-rust "$r" rust $t "" -- $RB unary @ADDR@ --method $M_ECHO --calls $((N_UNARY64 / SLOW_P)) --inflight $c @PROBE@
      fi
      ((have_grpc)) && run "unary$c$sfx" grpc "$r" grpc $t "" -- $GC unary @ADDR@ --calls $((N_UNARY64 / SLOW_P)) --inflight $c @PROBE@
    done
  done
  # ---- 100 and 1,000 sessions at once, 1 call in flight on each ----
  for n in 100 1000; do
    run "sessions$n" plain "$r" plain tcp "" -- $PC @ADDR@ --frame $CALL_FRAME --count $N_SESS --inflight 1 --conns $n @PROBE@
    run "sessions$n" libroam "$r" $roamcat_server tcp "" -- $RB unary @ADDR@ --method $M_ECHO --calls $N_SESS --inflight 1 --sessions $n @PROBE@
    [[ -n $peer ]] && run "sessions$n" libroam-rust "$r" rust tcp "" -- $RB unary @ADDR@ --method $M_ECHO --calls $((N_SESS / SLOW)) --inflight 1 --sessions $n @PROBE@
    ((have_grpc)) && run "sessions$n" grpc "$r" grpc tcp "" -- $GC unary @ADDR@ --calls $((N_SESS / SLOW)) --inflight 1 --sessions $n @PROBE@
  done
  # ---- channel streaming of 64-byte items ----
  run stream64 plain "$r" plain tcp "" -- $PC @ADDR@ --frame $ITEM_FRAME --count $N_STREAM --inflight 64 @PROBE@
  # Credit 64: the same window as the plain client's 64 frames in flight.
  run stream64 libroam "$r" $roamcat_server tcp "--sink $M_SUM" -- $RB stream @ADDR@ --method $M_SUM --items $N_STREAM --size 64 --credit 64 @PROBE@
  run stream64 libroam-credit256 "$r" $roamcat_server tcp "--sink $M_SUM" -- $RB stream @ADDR@ --method $M_SUM --items $N_STREAM --size 64 --credit 256 @PROBE@
  [[ -n $peer ]] && run stream64 libroam-rust-i32 "$r" rust tcp "" -- $RB stream @ADDR@ --method $M_SUM --items $((N_STREAM / SLOW)) --i32 @PROBE@
  ((have_grpc)) && run stream64 grpc "$r" grpc tcp "" -- $GC stream @ADDR@ --items $((N_STREAM / SLOW)) --size 64 @PROBE@
  # ---- 1 MiB and 16 MiB payloads (16 MiB exceeds roamcat's default 16 MiB frame limit:
  #      roam_bench_server raises it) ----
  for p in 1 16; do
    n=$N_1M; [[ $p == 16 ]] && n=$N_16M
    w=$((n / 4)); ((w < 1)) && w=1
    bytes=$((p << 20))
    rs=$roamcat_server; [[ $p == 16 ]] && rs=roamsrv
    run "payload${p}m" plain "$r" plain tcp "" -- $PC @ADDR@ --frame $((bytes + 8)) --count $n --warmup $w @PROBE@
    run "payload${p}m" libroam "$r" $rs tcp "" -- $RB unary @ADDR@ --method $M_ECHO --calls $n --warmup $w --payload $bytes @PROBE@
    [[ -n $peer ]] && run "payload${p}m" libroam-rust "$r" rust tcp "" -- $RB unary @ADDR@ --method $M_ECHO --calls $n --warmup $w --payload $bytes @PROBE@
    ((have_grpc)) && run "payload${p}m" grpc "$r" grpc tcp "" -- $GC unary @ADDR@ --calls $n --warmup $w --payload $bytes @PROBE@
  done
  # ---- virtual connection open + close churn ----
  run churn libroam "$r" $roamcat_server tcp "" -- $RB churn @ADDR@ --opens $N_CHURN --inflight 16 @PROBE@
  [[ -n $peer ]] && run churn libroam-rust "$r" rust tcp "" -- $RB churn @ADDR@ --opens $((N_CHURN / SLOW)) --inflight 16 @PROBE@
  # ---- memory: idle sessions (real sockets) and idle virtual connections ----
  run idle-sessions libroam "$r" roamsrv tcp "" -- $RB idle @ADDR@ --sessions $N_IDLE @PROBE@
  run idle-vconns libroam "$r" roamsrv tcp "" -- $RB vconns @ADDR@ --count $N_VCONN @PROBE@
  # ---- ending a session that holds N and 2N virtual connections (flat per connection?) ----
  run teardown-1x libroam "$r" roamsrv tcp "" -- $RB vconns @ADDR@ --count $N_TEARDOWN --teardown
  run teardown-2x libroam "$r" roamsrv tcp "" -- $RB vconns @ADDR@ --count $((2 * N_TEARDOWN)) --teardown
done

# ---- scaling by cores: 2 client processes × 8 sessions × 64 in flight -----------------
scale_run() {  # IMPL ROUND KIND THREADS CLIENT(roam|grpc)
  local impl=$1 round=$2 kind=$3 threads=$4 client=$5
  start_server "$kind" tcp --threads "$threads" || return 0
  local pids=() k probe
  for k in 1 2; do
    # The first client also reads the server's CPU time over its window.
    probe=; ((k == 1)) && probe="--server-pid $server_pid"
    if [[ $client == roam ]]; then
      # shellcheck disable=SC2086
      timeout "$CLIENT_TIMEOUT" "$RB" unary "$addr" --method "$M_ECHO" --calls "$N_SCALE" --inflight 64 --sessions 8 \
        $probe >"$work/scale-$k.out" 2>"$work/scale-$k.err" &
    else
      # shellcheck disable=SC2086
      timeout "$CLIENT_TIMEOUT" "$GC" unary "$addr" --calls $((N_SCALE / SLOW_P / 4 + 1)) --inflight 64 --sessions 8 \
        $probe >"$work/scale-$k.out" 2>"$work/scale-$k.err" &
    fi
    pids+=($!)
  done
  local ok=1
  for k in "${pids[@]}"; do wait "$k" || ok=0; done
  stop_server
  local total cores_busy
  total=$(cat "$work/scale-1.out" "$work/scale-2.out" | awk '/^RESULT/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == "rate") s += kv[2]; if (kv[1] == "ops") n++}} END {if (n == 2) printf "%.1f", s}')
  if ((!ok)) || [[ -z $total ]]; then
    fail "scaling $impl round $round: $(cat "$work"/scale-*.err | tail -n 2 | tr '\n' ' ')"
    return 0
  fi
  # Server CPU over the first client's window (both clients run then) / the window.
  cores_busy=$(awk '/^RESULT/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}}
    END {if (v["seconds"] > 0) printf "%.2f", v["server_cpu_us_per_op"] * v["ops"] / v["seconds"] / 1e6}' "$work/scale-1.out")
  echo "scaling,$impl,$round,rate,$total" >>"$raw"
  [[ -n $cores_busy ]] && echo "scaling,$impl,$round,server_cores,$cores_busy" >>"$raw"
  printf '  %-14s %-16s r%s  rate=%s server_cores=%s\n' scaling "$impl" "$round" "$total" "$cores_busy"
}
cores=$(nproc)
echo "scaling: 1 to $cores threads"
for ((r = 1; r <= rounds; r++)); do
  for th in 1 "$cores"; do
    ((roamcat_threads)) && scale_run "libroam-${th}t" "$r" roamcat "$th" roam
    scale_run "roamsrv-${th}t" "$r" roamsrv "$th" roam
    ((have_grpc)) && scale_run "grpc-${th}t" "$r" grpc "$th" grpc
    [[ $th == "$cores" ]] && break
  done
done

# ---- the cost of an open from 1k to 1M virtual connections (one run) -------------------
echo "open cost by bucket: $N_GROWTH virtual connections on one session"
run vconn-growth libroam 1 roamsrv tcp "" -- $RB vconns @ADDR@ --count $N_GROWTH @PROBE@

# ---- the report --------------------------------------------------------------------------
py=python3
if [[ -x $build/bench-venv/bin/python ]]; then
  py=$build/bench-venv/bin/python
elif ((!smoke)) && ! python3 -c 'import matplotlib' 2>/dev/null; then
  echo "installing matplotlib into $build/bench-venv (pip) for the plots…"
  if python3 -m venv "$build/bench-venv" >/dev/null 2>&1 &&
    "$build/bench-venv/bin/pip" install --quiet matplotlib >/dev/null 2>&1; then
    py=$build/bench-venv/bin/python
  else
    note "matplotlib could not be installed (python3 -m venv / pip): no plots, the table is complete"
  fi
fi
meta="$(nproc) cores, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds round(s)$( ((smoke)) && echo ', SMOKE counts (meaningless figures)')"
"$py" "$src/bench/report.py" "$out" --meta "$meta" || fail "report.py"
if [[ -f $out/latest.md ]]; then
  cat "$out/latest.md"
else
  fail "no table written"
fi
if ((!smoke)) && [[ ${ROAM_BENCH_COPY:-1} != 0 && -f $out/latest.md ]]; then
  mkdir -p "$src/bench/results"
  cp "$out/latest.md" "$out/raw.csv" "$src/bench/results/"
  cp "$out"/*.png "$src/bench/results/" 2>/dev/null || true
  "$py" "$src/bench/report.py" "$out" --meta "$meta" --readme "$src/bench/README.md" || fail "README update"
  echo "table and plots copied to $src/bench/results/, the table into bench/README.md"
fi
if ((failures)); then
  echo "suite: $failures piece(s) failed (see above and $out/notes.txt)" >&2
  exit 1
fi
exit 0
