#!/usr/bin/env bash
# pippyc's command line: --config YAML (flags win), inspect, --help, and bad input: every
# case checks the exit status and the message.
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models/lm_dyn/model.onnx
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0
# expect NAME STATUS PATTERN -- command...
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local got rc
  got=$("$@" 2>&1); rc=$?
  if [ $rc -eq $want ] && grep -qE -- "$pat" <<< "$got"; then
    echo "ok   $name (exit $rc)"; pass=$((pass + 1))
  else
    echo "FAIL $name: exit $rc (want $want), output lacks /$pat/:"; echo "$got" | head -5; fail=$((fail + 1))
  fi
}
cat > "$out/c.yaml" <<'Y'
split: threshold
threshold: 300KB
input-shape: {input_ids: 4x16}
plan-only: true
Y
expect "config: threshold 300KB gives 4 stages" 0 "threshold policy, 4 stages" -- $BIN/pippyc $M --config "$out/c.yaml" -o "$out/a"
expect "config: flags win (--split equal_size --ranks 2)" 0 "equal_size policy, 2 stages" -- $BIN/pippyc $M --config "$out/c.yaml" --split equal_size --ranks 2 -o "$out/b"
expect "config: --threshold flag wins" 0 "threshold policy, 1 stage" -- $BIN/pippyc $M --config "$out/c.yaml" --threshold 10MB -o "$out/c"
printf 'ranks: [1\n' > "$out/bad1.yaml"
expect "config: YAML syntax error with line" 1 "bad1.yaml:2:1" -- $BIN/pippyc $M --config "$out/bad1.yaml"
printf 'rankz: 1\n' > "$out/bad2.yaml"
expect "config: unknown key named" 1 "unknown key 'rankz'" -- $BIN/pippyc $M --config "$out/bad2.yaml"
printf 'ranks: many\n' > "$out/bad3.yaml"
expect "config: bad integer" 1 "expected a non-negative integer, got 'many'" -- $BIN/pippyc $M --config "$out/bad3.yaml"
expect "config: missing file" 1 "nope.yaml: No such file" -- $BIN/pippyc $M --config "$out/nope.yaml"
expect "inspect: opset, inputs, params" 0 "opset 17" -- $BIN/pippyc inspect $M
expect "inspect: symbolic input" 0 "input_ids +int64\[batchxseq\]" -- $BIN/pippyc inspect $M
expect "inspect: parameter count" 0 "parameters 218496 " -- $BIN/pippyc inspect $M
expect "--help documents --concrete-arg" 0 "--concrete-arg NAME=VALUE" -- $BIN/pippyc --help
expect "unknown flag: usage error" 2 "unknown option '--frobnicate'" -- $BIN/pippyc $M --frobnicate
expect "--ranks 0" 2 "--ranks: expected an integer" -- $BIN/pippyc $M --ranks 0
expect "unknown policy" 1 "unknown policy" -- $BIN/pippyc $M --split magic
expect "threshold needs a size" 1 "needs --threshold SIZE" -- $BIN/pippyc $M --split threshold
expect "bad size" 1 "expected a size such as 490MB" -- $BIN/pippyc $M --split threshold --threshold 12QB
expect "threshold vs ranks mismatch" 1 "run with --ranks 4" -- $BIN/pippyc $M --split threshold --threshold 300KB --ranks 3 --input-shape input_ids=4x16
expect "too many ranks" 1 "cannot split 128 nodes into 500 stages" -- $BIN/pippyc $M --ranks 500 --input-shape input_ids=4x16
expect "unknown --input-shape name" 1 "no graph input or dim_param named 'foo'" -- $BIN/pippyc $M --input-shape foo=3
expect "bad --input-shape syntax" 2 "expected NAME=DIMS" -- $BIN/pippyc $M --input-shape input_ids
expect "chunks must divide the batch" 1 "not divisible by --chunks 3" -- $BIN/pippyc $M --chunks 3 --input-shape input_ids=4x16 -o "$out/d"
expect "symbolic shapes need binding for programs" 1 "no static shape" -- $BIN/pippyc $M -o "$out/e"
expect "missing model file" 1 "missing.onnx" -- $BIN/pippyc "$out/missing.onnx"
head -c 1000 $M > "$out/trunc.onnx"
expect "truncated model" 1 "trunc.onnx" -- $BIN/pippyc "$out/trunc.onnx"
# The stage programs' driver: bad inputs are clear errors naming the input, and pippyrun
# names the rank.
$BIN/pippyc $M --ranks 2 --chunks 2 --input-shape input_ids=4x16 -o "$out/p" > /dev/null
python3 - "$out" <<'PY'
import sys, numpy as np
d = sys.argv[1]
np.save(f"{d}/ok.npy", np.zeros((4, 16), np.int64))
np.save(f"{d}/shape.npy", np.zeros((3, 16), np.int64))
np.save(f"{d}/dtype.npy", np.zeros((4, 16), np.float32))
open(f"{d}/junk.npy", "wb").write(b"\x93NUMPY\x01\x00\xff\xffjunk")
PY
expect "run: correct input" 0 "pipeline: 2 stages" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input "$out/ok.npy"
expect "run: wrong batch" 1 "rank 0.*input 'input_ids' from .*shape.npy is int64\[3x16\]; the program was compiled for int64\[4x16\]" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input "$out/shape.npy"
expect "run: wrong dtype" 1 "is float32\[4x16\]; the program was compiled for int64" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input "$out/dtype.npy"
expect "run: corrupt .npy" 1 "junk.npy: header longer than the file" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input "$out/junk.npy"
expect "run: missing input" 1 "no file for graph input 'input_ids'" -- $BIN/pippyrun --nproc-per-node 2 "$out/p"
expect "run: unknown input name" 1 "--input bogus: the model has no input of that name" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input bogus="$out/ok.npy"
expect "run: pippyrun names the failed rank" 1 "pippyrun: rank 0 .*failed: exit status 1" -- $BIN/pippyrun --nproc-per-node 2 "$out/p" --input "$out/shape.npy"
expect "run: wrong world size" 1 "WORLD_SIZE is 3 but this pipeline has 2 stages" -- env RANK=0 LOCAL_RANK=0 WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 MASTER_PORT=1 "$out/p/rank_0"
expect "run: no environment" 1 "is not set \(run under pippyrun" -- env -u RANK "$out/p/rank_0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
