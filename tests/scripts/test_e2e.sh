#!/usr/bin/env bash
# End to end through pippyc and pippyrun: the torch-exported test models at ranks 1, 2, 4 and
# chunks 1, 2, 4 against torch's outputs (rtol 1e-3, atol 1e-4), and N ranks bitwise equal to
# 1 rank at the same --chunks (the split must not change a single bit).
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models
CMP="python3 $SRC/tests/scripts/compare.py"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0

# name, data set, "compile args", "run args"
run_case() {
  local name=$1 ds=$2 cargs=$3 rargs=$4 ranks=$5 chunks=$6
  local d="$out/$name.$ds.r$ranks.c$chunks"
  if ! $BIN/pippyc "$M/$name/model.onnx" --ranks "$ranks" --chunks "$chunks" $cargs -o "$d" > "$d.log" 2>&1; then
    echo "FAIL $name/$ds ranks $ranks chunks $chunks: pippyc failed"; tail -5 "$d.log"; fail=$((fail + 1)); return
  fi
  # --threads 1 everywhere: OpenBLAS rounds differently with a different thread count, so
  # bitwise equality is asked for at equal threads (and equal chunks)
  if ! timeout 120 $BIN/pippyrun --nproc-per-node "$ranks" "$d" $rargs --threads 1 --output-dir "$d/res" -q > "$d.run" 2>&1; then
    echo "FAIL $name/$ds ranks $ranks chunks $chunks: pippyrun failed"; tail -5 "$d.run"; fail=$((fail + 1)); return
  fi
  local r
  if ! r=$($CMP "$M/$name/$ds" "$d/res"); then
    echo "FAIL $name/$ds ranks $ranks chunks $chunks: $r"; fail=$((fail + 1)); return
  fi
  if [ "$ranks" != 1 ]; then
    local b
    if ! b=$($CMP --bitwise "$out/$name.$ds.r1.c$chunks/res" "$d/res"); then
      echo "FAIL $name/$ds ranks $ranks chunks $chunks vs 1 rank: $b"; fail=$((fail + 1)); return
    fi
    r="$r; $b with 1 rank"
  fi
  echo "ok   $name/$ds ranks $ranks chunks $chunks: $r"; pass=$((pass + 1))
}

ids=$M/lm_dyn/test_data_set_0/input_0.pb
for c in 1 2 4; do for r in 1 2 4; do
  run_case lm_dyn test_data_set_0 "--input-shape input_ids=4x16" "--input $ids" $r $c
done; done
for c in 1; do for r in 1 2 4; do
  run_case lm_static test_data_set_0 "" "--input $M/lm_static/test_data_set_0/input_0.pb" $r $c
done; done
for c in 1 2 4; do for r in 1 2 4; do
  run_case resnet test_data_set_0 "--input-shape input=4x3x32x32" "--input $M/resnet/test_data_set_0/input_0.pb" $r $c
done; done
# The If model: use_gelu=true keeps the Gelu branch (7 nodes); false folds to Gemm, Relu,
# Gemm, which 4 ranks cannot split (a clear error), so that branch runs at 1, 2 and 3.
for c in 1 2 4; do for r in 1 2 4; do
  run_case ifmodel test_data_set_0 "--concrete-arg use_gelu=true --input-shape x=4x16" \
    "--input x=$M/ifmodel/test_data_set_0/input_0.pb" $r $c
done; done
for c in 1 2 4; do for r in 1 2 3; do
  run_case ifmodel test_data_set_1 "--concrete-arg use_gelu=false --input-shape x=4x16" \
    "--input x=$M/ifmodel/test_data_set_1/input_0.pb" $r $c
done; done
msg=$($BIN/pippyc "$M/ifmodel/model.onnx" --ranks 4 --concrete-arg use_gelu=false -o "$out/if4" 2>&1)
if [ $? -eq 1 ] && grep -q "cannot split 3 nodes into 4 stages" <<< "$msg"; then
  echo "ok   ifmodel use_gelu=false at 4 ranks: clear error"; pass=$((pass + 1))
else
  echo "FAIL ifmodel use_gelu=false at 4 ranks: expected 'cannot split 3 nodes into 4 stages', got: $msg"
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
