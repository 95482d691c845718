#!/usr/bin/env bash
# The demo: a GPT-2-style decoder LM exported from torch with dynamic batch/sequence axes
# (tests/models/lm_dyn) is split into 4 pipeline stages, compiled into 4 programs, and run on
# 4 ranks with 4 microbatches; the outputs are checked against torch's: the demo exits 1 when
# they differ by more than rtol 1e-3 + atol 1e-4 (tests/scripts/compare.py's tolerance) or in
# shape or dtype. PIPPY_BIN picks the binaries (default build/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${PIPPY_BIN:-build/bin}
MODEL=tests/models/lm_dyn/model.onnx
DATA=tests/models/lm_dyn/test_data_set_0
OUT=${1:-/tmp/pippyc-demo}
rm -rf "$OUT"

echo "== pippyc inspect $MODEL"
$BIN/pippyc inspect $MODEL | head -12

echo
echo "== compile: equal_size into 4 stages, batch 4 x 16 tokens in 4 microbatches"
$BIN/pippyc $MODEL --split equal_size --ranks 4 --chunks 4 --input-shape input_ids=4x16 -o "$OUT/prog"
dot -Tsvg "$OUT/prog/graph.dot" -o "$OUT/prog/graph.svg"

echo
echo "== run: 4 ranks, 200 batches (the table is each stage's busy and idle time)"
$BIN/pippyrun --nproc-per-node 4 "$OUT/prog" --input input_ids=$DATA/input_0.pb \
  --output-dir "$OUT/res" --repeat 200

echo
echo "== outputs vs torch"
cmp_rc=0
python3 - "$DATA/output_0.pb" "$OUT/res/logits.npy" <<'PY' || cmp_rc=$?
import sys, numpy as np
from onnx import TensorProto, numpy_helper
t = TensorProto(); t.ParseFromString(open(sys.argv[1], "rb").read())
ref, got = numpy_helper.to_array(t), np.load(sys.argv[2])
if got.shape != ref.shape or got.dtype != ref.dtype:
    print(f"MISMATCH: logits are {got.dtype}{list(got.shape)}, torch's {ref.dtype}{list(ref.shape)}")
    sys.exit(3)
err = np.abs(ref.astype(np.float64) - got.astype(np.float64))
bad = ~(err <= 1e-4 + 1e-3 * np.abs(ref.astype(np.float64)))  # NaN counts as bad
print(f"logits {list(got.shape)}: max abs diff vs torch {np.nanmax(err):.2e}")
print("next token per sequence (argmax of the last position):",
      got[:, -1].argmax(-1).tolist(), "torch:", ref[:, -1].argmax(-1).tolist())
if bad.any():
    print(f"MISMATCH: {int(bad.sum())} of {ref.size} logits differ from torch's by more than "
          f"rtol 1e-3 + atol 1e-4")
    sys.exit(3)
PY

echo
echo "== threshold policy: the stage count is the result"
$BIN/pippyc $MODEL --split threshold --threshold 300KB --input-shape input_ids=4x16 --plan-only -o "$OUT/thr" | head -8
echo
echo "plan: $OUT/prog/pipeline.yaml   graph: $OUT/prog/graph.svg   programs: $OUT/prog/rank_*"
if [ "$cmp_rc" = 3 ]; then
  echo "demo: FAILED: the pipeline's outputs do not match torch's (see above)" >&2
  exit 1
elif [ "$cmp_rc" != 0 ]; then
  echo "demo: FAILED: could not compare the outputs with torch's (python3 with numpy and onnx?)" >&2
  exit 1
fi
