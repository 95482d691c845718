#!/usr/bin/env bash
# The rank programs under torchrun itself (--no-python), reading only its environment: the
# outputs must equal torch's. torch is not a dependency of pippyc: without torchrun this test
# reports itself skipped (exit 77, CTest's SKIP_RETURN_CODE), never passed.
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models/lm_dyn
command -v torchrun > /dev/null || { echo "skip: torchrun not installed (pip install torch)"; exit 77; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
$BIN/pippyc "$M/model.onnx" --ranks 2 --chunks 2 --input-shape input_ids=4x16 -o "$out/p" > /dev/null || exit 1
# --standalone: torchrun picks a free port (its fixed default 29500 may be taken)
if ! timeout 300 torchrun --standalone --nproc-per-node 2 --no-python "$out/p/rank" --threads 1 \
     --input input_ids="$M/test_data_set_0/input_0.pb" --output-dir "$out/res" > "$out/log" 2>&1; then
  echo "FAIL torchrun run"; grep -E "^rank [0-9]|error" "$out/log" | head -10
  grep -v "^W" "$out/log" | tail -12; echo "0 passed, 1 failed"; exit 1
fi
if r=$(python3 "$SRC/tests/scripts/compare.py" "$M/test_data_set_0" "$out/res"); then
  echo "ok   torchrun --nproc-per-node 2 --no-python DIR/rank: $r"; echo "1 passed, 0 failed"
else
  echo "FAIL torchrun outputs: $r"; echo "0 passed, 1 failed"; exit 1
fi
