#!/usr/bin/env bash
# Failure: one rank of a 4-rank lm_dyn pipeline is killed mid-run (--repeat keeps it busy).
#  (a) under pippyrun, for each rank K = 0..3 in turn: pippyrun exits 1 within 10 s, names
#      exactly rank K, its pid and SIGKILL as the cause (never a peer that stopped because
#      its link to K closed), says the other ranks lost a peer or were stopped, and leaves
#      no rank behind. Rank 0 is the store server and driver: the others see the store and
#      their links close.
#  (b) by hand (as torchrun would start them), rank 2 killed: no launcher stops anyone, yet
#      every other rank exits within 10 s with status 75 (RT_EXIT_PEER_LOST: it lost a peer,
#      did not fail on its own), and each names rank 2: its neighbours (rank 1 sends to it,
#      rank 3 reads from it) as the peer that closed its link, or, when the failure reached
#      them round the ring first, through the abort of the peer that gave up ("the failure
#      began at rank 2"); rank 0, linked to 1 and 3 only, the same way.
# The links of this pipeline form a ring: 0 -> 1 -> 2 -> 3 -> 0 (outputs).
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models
out=$(mktemp -d); trap 'pkill -9 -f "$out/" 2>/dev/null; rm -rf "$out"' EXIT
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# pid of the rank program rank_$2 under $1 (empty if none)
rank_pid() { pgrep -f "$1/rank_$2( |\$)" | head -1; }
# waits up to 10 s for every rank program under $1 to start
wait_ranks() { for _ in $(seq 100); do [ "$(pgrep -f "$1/rank_" | wc -l)" -ge 4 ] && return 0; sleep 0.1; done; return 1; }

$BIN/pippyc "$M/lm_dyn/model.onnx" --ranks 4 --chunks 4 --input-shape input_ids=4x16 -o "$out/p" > /dev/null || { echo "FAIL compile"; exit 1; }
IDS=$M/lm_dyn/test_data_set_0/input_0.pb

# (a) pippyrun: kill rank K
for K in 0 1 2 3; do
  log=$out/a$K.log
  $BIN/pippyrun --nproc-per-node 4 "$out/p" --input "$IDS" --repeat 1000000 -q > "$log" 2>&1 &
  prun=$!
  if ! wait_ranks "$out/p"; then bad "(a) kill $K: the ranks never started"; cat "$log"; kill -9 $prun; wait $prun; continue; fi
  sleep 1  # mid-run: the pipeline is busy
  victim=$(rank_pid "$out/p" $K)
  if [ -z "$victim" ] || ! kill -0 $prun 2>/dev/null; then bad "(a) kill $K: rank $K not running"; cat "$log"; kill -9 $prun 2>/dev/null; wait $prun; continue; fi
  t0=$(now)
  kill -9 "$victim"
  for _ in $(seq 100); do kill -0 $prun 2>/dev/null || break; sleep 0.1; done
  if kill -0 $prun 2>/dev/null; then
    bad "(a) kill $K: pippyrun still running 10 s after the kill"; kill -9 $prun; wait $prun; tail -5 "$log"; continue
  fi
  wait $prun; rc=$?
  dt=$(since "$t0")
  for _ in $(seq 20); do [ "$(pgrep -f "$out/p/rank_" | wc -l)" -eq 0 ] && break; sleep 0.1; done
  left=$(pgrep -f "$out/p/rank_" | wc -l)
  named=$(grep -E '^pippyrun: rank [0-9]+ \(pid [0-9]+\) failed:' "$log")
  others=$(grep -E '^pippyrun: [0-9]+ other ranks? stopped after it:' "$log")
  want="pippyrun: rank $K (pid $victim) failed: killed by signal 9 (SIGKILL)"
  why=""
  [ $rc -eq 1 ] || why="$why exit status $rc, not 1;"
  [ "$named" = "$want" ] || why="$why named '$named', want '$want';"
  # every other rank lost a peer (exit 75) or was still running when pippyrun stopped it;
  # none failed on its own or was killed by another signal
  echo "$others" | grep -Eq '^pippyrun: 3 other ranks stopped after it: ' || why="$why others: '$others';"
  echo "$others" | grep -Eq 'on (its|their) own|killed by' && why="$why others: '$others';"
  [ "$left" -eq 0 ] || why="$why $left rank processes left;"
  if [ -z "$why" ]; then
    ok "(a) kill rank $K: pippyrun exited 1 after ${dt}s: $named; ${others#pippyrun: }"
  else
    bad "(a) kill rank $K:$why"; grep -E '^(pippyrun|\[rank [0-9]\] rank)' "$log" | head -12
  fi
done

# (b) by hand: ranks 0..3 with torchrun's environment; kill rank 2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for r in 0 1 2 3; do
  extra="--input $IDS --repeat 1000000 -q"   # torchrun gives every rank the same args
  RANK=$r LOCAL_RANK=$r WORLD_SIZE=4 LOCAL_WORLD_SIZE=4 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    PIPPY_JOB_ID=killtest-$$ PIPPY_TIMEOUT=30 "$out/p/rank_$r" $extra > "$out/b$r.log" 2>&1 &
  eval pid$r=$!
done
disown $pid2  # not waited for: no "Killed" notice
wait_ranks "$out/p" || bad "(b) the ranks never started"
sleep 1.5
kill -9 $pid2
t0=$(now)
for r in 0 1 3; do
  eval p=\$pid$r
  for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
  if kill -0 $p 2>/dev/null; then bad "(b) rank $r still running 10 s after rank 2 died"; kill -9 $p; wait $p; continue; fi
  wait $p; rc=$?
  # the first error line the rank printed (the one that made it stop)
  line=$(grep -m1 -E "^rank $r: " "$out/b$r.log")
  want="^rank $r: (peer rank 2 (closed|reset) the connection|peer rank [013] gave up: the failure began at rank 2)"
  if [ $rc -eq 75 ] && echo "$line" | grep -Eq "$want"; then
    ok "(b) rank $r exited 75 after $(since "$t0")s: $line"
  else bad "(b) rank $r: rc=$rc (want 75), want /$want/: $(cat "$out/b$r.log")"; fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
