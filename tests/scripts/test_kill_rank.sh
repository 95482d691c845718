#!/usr/bin/env bash
# Failure: one rank is killed mid-run (--repeat keeps the pipeline busy).
#  (a) under pippyrun: every rank is gone and pippyrun has exited non-zero within 10 s,
#      naming the rank;
#  (b) ranks started by hand (as torchrun would): no launcher kills anyone, yet every rank
#      exits within 10 s, rank 2's consumer naming rank 2, the others the peer they saw go.
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models
out=$(mktemp -d); trap 'pkill -9 -f "$out/" 2>/dev/null; rm -rf "$out"' EXIT
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

$BIN/pippyc "$M/lm_dyn/model.onnx" --ranks 4 --chunks 4 --input-shape input_ids=4x16 -o "$out/p" > /dev/null || { echo "FAIL compile"; exit 1; }
IDS=$M/lm_dyn/test_data_set_0/input_0.pb

# (a) pippyrun
$BIN/pippyrun --nproc-per-node 4 "$out/p" --input "$IDS" --repeat 1000000 -q > "$out/a.log" 2>&1 &
prun=$!
for _ in $(seq 50); do pgrep -f "$out/p/rank_2" > /dev/null && break; sleep 0.1; done
sleep 1
victim=$(pgrep -f "$out/p/rank_2" | head -1)
if [ -z "$victim" ]; then bad "(a) rank 2 never started"; cat "$out/a.log"; else
  t0=$(date +%s.%N)
  kill -9 "$victim"
  for _ in $(seq 100); do kill -0 $prun 2>/dev/null || break; sleep 0.1; done
  if kill -0 $prun 2>/dev/null; then bad "(a) pippyrun still running 10 s after the kill"; kill -9 $prun
  else
    wait $prun; rc=$?
    dt=$(echo "$(date +%s.%N) - $t0" | bc)
    left=$(pgrep -f "$out/p/rank_" | wc -l)
    if [ $rc -ne 0 ] && grep -q "rank 2 .*killed by signal 9" "$out/a.log" && [ "$left" -eq 0 ]; then
      ok "(a) pippyrun exited $rc after ${dt}s naming rank 2; no rank left"
    else
      bad "(a) rc=$rc, ranks left: $left"; tail -5 "$out/a.log"
    fi
  fi
fi

# (b) by hand: ranks 0..3 with torchrun's environment; kill rank 2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for r in 0 1 2 3; do
  extra="--input $IDS --repeat 1000000 -q"   # torchrun gives every rank the same args
  RANK=$r LOCAL_RANK=$r WORLD_SIZE=4 LOCAL_WORLD_SIZE=4 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    PIPPY_TIMEOUT=30 "$out/p/rank_$r" $extra > "$out/b$r.log" 2>&1 &
  eval pid$r=$!
done
sleep 2
kill -9 $pid2
t0=$(date +%s)
for r in 0 1 3; do
  eval p=\$pid$r
  for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
  if kill -0 $p 2>/dev/null; then bad "(b) rank $r still running 10 s after rank 2 died"; kill -9 $p; continue; fi
  wait $p; rc=$?
  # Rank 3 reads from rank 2 and must name it; the others exit as the failure spreads along
  # the links, each naming the peer it saw go.
  want="peer rank [0-9]"; [ $r = 3 ] && want="peer rank 2"
  if [ $rc -ne 0 ] && grep -q "$want" "$out/b$r.log"; then
    ok "(b) rank $r exited $rc: $(grep -m1 "$want" "$out/b$r.log")"
  else bad "(b) rank $r: rc=$rc: $(cat "$out/b$r.log")"; fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
