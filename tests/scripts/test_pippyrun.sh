#!/usr/bin/env bash
# pippyrun: environment, output prefixes, failure propagation, signals, PDEATHSIG, flags.
# Rank programs are small sh scripts in a temp DIR; a unique marker in the DIR's path lets
# pgrep find every rank process. Bounded: every pippyrun runs under `timeout`.
set -u
BIN=${PIPPY_BIN:-build/bin}
RUN=$BIN/pippyrun
[ -x "$RUN" ] || { echo "FAIL: $RUN not built"; exit 1; }
MARK=pippytest_$$_$RANDOM
TMP=$(mktemp -d "/tmp/${MARK}_XXXX")
fails=0; passes=0
ok()   { echo "ok   $*"; passes=$((passes + 1)); }
bad()  { echo "FAIL $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cleanup() { pkill -KILL -f "$MARK" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# the rank processes of a case, by the marker in their DIR path
ranks_left() { pgrep -f "$TMP/$1/rank_" >/dev/null; }
wait_gone() { local d=$1 n=0; while ranks_left "$d" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done; ! ranks_left "$d"; }
mkranks() { # mkranks CASE N BODY: rank_0..rank_{N-1} running BODY ($R is the rank)
    mkdir -p "$TMP/$1"
    for ((r = 0; r < $2; r++)); do
        printf '#!/bin/sh\nR=%d\n%s\n' "$r" "$3" > "$TMP/$1/rank_$r"
        chmod +x "$TMP/$1/rank_$r"
    done
}
now() { date +%s.%N; }
LOOP='i=0; while [ $i -lt 1000 ]; do sleep 0.1; i=$((i+1)); done'

# (a) 4 ranks, all exit 0: exit 0, every line prefixed, torchrun's environment
mkranks a 4 'echo "env RANK=$RANK LOCAL_RANK=$LOCAL_RANK WORLD_SIZE=$WORLD_SIZE LOCAL_WORLD_SIZE=$LOCAL_WORLD_SIZE GROUP_RANK=$GROUP_RANK MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT JOB=$PIPPY_JOB_ID ARGS=$*"; echo "to stderr $R" >&2; printf "no newline $R"'
timeout 20 "$RUN" --nproc-per-node 4 "$TMP/a" --input x.npy > "$TMP/a.out" 2> "$TMP/a.err"
rc=$?
check "(a) all ranks exit 0 -> pippyrun exits 0 (rc=$rc)" [ $rc -eq 0 ]
for r in 0 1 2 3; do
    check "(a) rank $r env and args" grep -q "^\[rank $r\] env RANK=$r LOCAL_RANK=$r WORLD_SIZE=4 LOCAL_WORLD_SIZE=4 GROUP_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=[0-9][0-9]* JOB=pippy-[0-9a-f]* ARGS=--input x.npy$" "$TMP/a.out"
    check "(a) rank $r stderr prefixed, on stderr" grep -qx "\[rank $r\] to stderr $r" "$TMP/a.err"
    check "(a) rank $r unterminated last line flushed" grep -qx "\[rank $r\] no newline $r" "$TMP/a.out"
done
check "(a) every stdout line prefixed" [ "$(grep -cv '^\[rank [0-3]\] ' "$TMP/a.out")" -eq 0 ]
check "(a) one port for all ranks" [ "$(grep -o 'MASTER_PORT=[0-9]*' "$TMP/a.out" | sort -u | wc -l)" -eq 1 ]
check "(a) one job id for all ranks" [ "$(grep -o 'JOB=[^ ]*' "$TMP/a.out" | sort -u | wc -l)" -eq 1 ]
# default nproc: the number of rank programs
timeout 20 "$RUN" --standalone "$TMP/a" > "$TMP/a2.out" 2>&1
check "(a) --nproc-per-node defaults to the 4 programs in DIR" [ "$(grep -c ' env RANK=' "$TMP/a2.out")" -eq 4 ]
# two nodes: node 1 of 2 runs ranks 2, 3
timeout 20 "$RUN" --nnodes 2 --node-rank 1 --nproc-per-node 2 --master-addr 127.0.0.1 --master-port 29999 "$TMP/a" > "$TMP/a3.out" 2>&1
check "(a) --nnodes 2 --node-rank 1: rank 3 is local rank 1 of node 1" grep -q "^\[rank 3\] env RANK=3 LOCAL_RANK=1 WORLD_SIZE=4 LOCAL_WORLD_SIZE=2 GROUP_RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999" "$TMP/a3.out"

# (b) rank 2 exits 3, the others sleep: pippyrun fails fast, names rank 2, leaves nothing
mkranks b 4 "if [ \$R = 2 ]; then sleep 0.3; echo bye; exit 3; fi; $LOOP"
t0=$(now)
timeout 20 "$RUN" --nproc-per-node 4 "$TMP/b" > "$TMP/b.out" 2> "$TMP/b.err"
rc=$?
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
check "(b) pippyrun exits non-zero (rc=$rc)" [ $rc -ne 0 -a $rc -ne 124 ]
check "(b) within 10 s ($dt s)" awk -v d="$dt" 'BEGIN { exit !(d < 10) }'
check "(b) names rank 2 and its exit status" grep -Eq "^pippyrun: rank 2 \(pid [0-9]+\) failed: exit status 3$" "$TMP/b.err"
check "(b) the rank's output came through" grep -qx "\[rank 2\] bye" "$TMP/b.out"
check "(b) no rank process remains" wait_gone b
# --grace: a rank that ignores SIGTERM is SIGKILLed after the grace period
mkranks b2 2 "if [ \$R = 1 ]; then sleep 0.3; exit 1; fi; trap '' TERM; $LOOP"
t0=$(now)
timeout 20 "$RUN" --grace 1 "$TMP/b2" > /dev/null 2> "$TMP/b2.err"
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
check "(b) --grace 1: a rank ignoring SIGTERM is killed after ~1 s ($dt s)" awk -v d="$dt" 'BEGIN { exit !(d < 4) }'
check "(b) ... and nothing remains" wait_gone b2

# (c) kill -9 of one rank
mkranks c 3 "$LOOP"
timeout 20 "$RUN" "$TMP/c" > /dev/null 2> "$TMP/c.err" &
pid=$!
sleep 0.5
victim=$(pgrep -f "$TMP/c/rank_1" | head -1)
kill -9 "$victim"
wait $pid; rc=$?
check "(c) pippyrun exits 1 (rc=$rc)" [ $rc -eq 1 ]
check "(c) names the killed rank" grep -Eq "^pippyrun: rank 1 \(pid $victim\) failed: killed by signal 9 \(SIGKILL\)$" "$TMP/c.err"
check "(c) no rank process remains" wait_gone c

# (c2) which rank is named when several fail: a rank killed by a signal pippyrun did not
# send, else the first that failed on its own (not 75), else the first; pippyrun's own
# SIGTERM to the survivors is never the cause. 75 = RT_EXIT_PEER_LOST (it lost a peer).
named() { grep -E '^pippyrun: rank [0-9]+ \(pid [0-9]+\) failed: ' "$1"; }
# rank 1 loses a peer first, rank 2 fails on its own 0.3 s later: rank 2 is named
mkranks c2 4 "if [ \$R = 1 ]; then sleep 0.2; exit 75; fi; if [ \$R = 2 ]; then sleep 0.5; exit 1; fi; $LOOP"
timeout 20 "$RUN" "$TMP/c2" > /dev/null 2> "$TMP/c2.err"; rc=$?
check "(c2) own failure after a peer loss: exit 1 (rc=$rc)" [ $rc -eq 1 ]
check "(c2) ... names rank 2, exit status 1 (got: $(named "$TMP/c2.err"))" grep -Eqx "pippyrun: rank 2 \(pid [0-9]+\) failed: exit status 1 \(it failed on its own\)" "$TMP/c2.err"
check "(c2) ... and how the others ended" grep -qx "pippyrun: 3 other ranks stopped after it: rank 1 lost a peer; ranks 0, 3 were stopped by pippyrun" "$TMP/c2.err"
check "(c2) ... nothing remains" wait_gone c2
# rank 3 fails on its own, then rank 0 is killed by SIGUSR1 (not pippyrun's): rank 0 is named
mkranks c3 4 "if [ \$R = 3 ]; then sleep 0.2; exit 1; fi; if [ \$R = 0 ]; then sleep 0.5; kill -USR1 \$\$; fi; $LOOP"
timeout 20 "$RUN" "$TMP/c3" > /dev/null 2> "$TMP/c3.err"; rc=$?
check "(c3) a signal after an own failure: exit 1 (rc=$rc)" [ $rc -eq 1 ]
check "(c3) ... names rank 0 and the signal (got: $(named "$TMP/c3.err"))" grep -Eqx "pippyrun: rank 0 \(pid [0-9]+\) failed: killed by signal [0-9]+ \(SIGUSR1\)" "$TMP/c3.err"
check "(c3) ... and how the others ended" grep -qx "pippyrun: 3 other ranks stopped after it: rank 3 also failed on its own; ranks 1, 2 were stopped by pippyrun" "$TMP/c3.err"
# a SIGTERM that pippyrun did not send is a cause, even with a peer loss reaped first
mkranks c4 3 "if [ \$R = 0 ]; then sleep 0.1; exit 75; fi; if [ \$R = 2 ]; then sleep 0.4; kill -TERM \$\$; fi; $LOOP"
timeout 20 "$RUN" "$TMP/c4" > /dev/null 2> "$TMP/c4.err"; rc=$?
check "(c4) a SIGTERM not from pippyrun names rank 2 (got: $(named "$TMP/c4.err"))" grep -Eqx "pippyrun: rank 2 \(pid [0-9]+\) failed: killed by signal 15 \(SIGTERM\)" "$TMP/c4.err"
# only peer losses, and a stalled rank: the first is named, the stalled one was stopped,
# within COLLECT_S (1 s) + a little, not the grace period
mkranks c5 4 "if [ \$R = 0 ]; then sleep 0.2; exit 75; fi; if [ \$R = 1 ]; then sleep 0.4; exit 75; fi; if [ \$R = 3 ]; then sleep 0.6; exit 75; fi; $LOOP"
t0=$(now)
timeout 20 "$RUN" --grace 5 "$TMP/c5" > /dev/null 2> "$TMP/c5.err"; rc=$?
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
check "(c5) only peer losses: exit 1 (rc=$rc)" [ $rc -eq 1 ]
check "(c5) ... names the first, rank 0 (got: $(named "$TMP/c5.err"))" grep -Eqx "pippyrun: rank 0 \(pid [0-9]+\) failed: exit status 75 \(it lost a peer, and no rank was killed or failed on its own\)" "$TMP/c5.err"
check "(c5) ... the stalled rank 2 was stopped" grep -qx "pippyrun: 3 other ranks stopped after it: ranks 1, 3 lost a peer; rank 2 was stopped by pippyrun" "$TMP/c5.err"
check "(c5) ... within 3 s ($dt s)" awk -v d="$dt" 'BEGIN { exit !(d < 3) }'

# (d) SIGTERM to pippyrun: passed on, all ranks gone
mkranks d 3 "$LOOP"
timeout 20 "$RUN" "$TMP/d" > /dev/null 2> "$TMP/d.err" &
pid=$!
sleep 0.5
check "(d) ranks are running" ranks_left d
kill -TERM $pid
wait $pid; rc=$?
check "(d) pippyrun exits 143 (rc=$rc)" [ $rc -eq 143 ]
check "(d) says so" grep -Eq "pippyrun: got SIGTERM \(from pid [0-9]+\), stopping the ranks" "$TMP/d.err"
check "(d) all ranks gone" wait_gone d

# (e) SIGKILL to pippyrun: the ranks die with it (PDEATHSIG)
mkranks e 3 "$LOOP"
"$RUN" "$TMP/e" > /dev/null 2>&1 &
pid=$!
sleep 0.5
check "(e) ranks are running" ranks_left e
kill -KILL $pid
wait $pid 2>/dev/null
check "(e) all ranks die with pippyrun" wait_gone e

# (f) bad flags -> 2; missing DIR or program -> 1
"$RUN" --bogus "$TMP/a" > /dev/null 2> "$TMP/f.err"; rc=$?
check "(f) unknown flag -> exit 2 (rc=$rc)" [ $rc -eq 2 ]
check "(f) ... with a message" grep -q "unknown option '--bogus'" "$TMP/f.err"
"$RUN" --nproc-per-node zero "$TMP/a" > /dev/null 2>&1; rc=$?
check "(f) bad value -> exit 2 (rc=$rc)" [ $rc -eq 2 ]
"$RUN" --nproc-per-node > /dev/null 2>&1; rc=$?
check "(f) missing value -> exit 2 (rc=$rc)" [ $rc -eq 2 ]
"$RUN" > /dev/null 2>&1; rc=$?
check "(f) no DIR -> exit 2 (rc=$rc)" [ $rc -eq 2 ]
"$RUN" --help | grep -q "torchrun --nproc-per-node 4 --no-python DIR/rank"; rc=$?
check "(f) --help shows the torchrun equivalent" [ $rc -eq 0 ]
"$RUN" "$TMP/nonexistent" > /dev/null 2> "$TMP/f2.err"; rc=$?
check "(f) missing DIR -> exit 1 (rc=$rc)" [ $rc -eq 1 ]
"$RUN" --nproc-per-node 5 "$TMP/a" > /dev/null 2> "$TMP/f3.err"; rc=$?
check "(f) missing rank program -> exit 1 (rc=$rc)" [ $rc -eq 1 ]
check "(f) ... naming it" grep -q "rank_4: no such program" "$TMP/f3.err"

# (g) real rank programs: rendezvous and a ring of 4 MB transfers over the TCP transport
SRC=${PIPPY_SRC:-.}
CC=${CC:-cc}
mkdir -p "$TMP/g"
if $CC -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -I"$SRC/runtime" -o "$TMP/g/ring" \
      "$SRC/tests/comm/ring.c" "$SRC/runtime/rt_comm.c" "$SRC/runtime/rt_env.c" \
      "$SRC/runtime/rt_store.c" "$SRC/runtime/rt_tcp.c" -lpthread -lm 2> "$TMP/g.cc"; then
    for r in 0 1 2; do ln -s ring "$TMP/g/rank_$r"; done
    timeout 30 "$RUN" --timeout 10 "$TMP/g" > "$TMP/g.out" 2>&1; rc=$?
    check "(g) 3 ranks pass a ring over TCP (rc=$rc)" [ $rc -eq 0 ]
    for r in 0 1 2; do
        p=$(( (r + 2) % 3 ))
        check "(g) rank $r got rank $p's bytes" grep -qx "\[rank $r\] ring ok: 4194304 bytes from rank $p" "$TMP/g.out"
    done
    timeout 30 "$RUN" --timeout 10 "$TMP/g" fail 1 > "$TMP/g2.out" 2>&1; rc=$?
    check "(g) a rank fails after the rendezvous -> exit 1 (rc=$rc)" [ $rc -eq 1 ]
    check "(g) ... named first" grep -Eq "^pippyrun: rank 1 \(pid [0-9]+\) failed: exit status 3$" "$TMP/g2.out"
    # rank 0 dials rank 1 (refused: gone) and exits 75; rank 2 waits for rank 1 to dial it
    check "(g) ... rank 0 lost a peer" grep -Eq "^pippyrun: 2 other ranks stopped after it: rank 0 lost a peer; rank 2 was stopped by pippyrun$" "$TMP/g2.out"
    check "(g) nothing remains" wait_gone g
else
    bad "(g) building tests/comm/ring.c: $(head -5 "$TMP/g.cc")"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
