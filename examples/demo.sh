#!/usr/bin/env bash
# The demo: a GPT-2-style decoder LM exported from torch with dynamic batch/sequence axes
# (tests/models/lm_dyn) is split into 4 pipeline stages, compiled into 4 programs, and run on
# 4 ranks with 4 microbatches; the outputs are checked against torch's.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
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
python3 - "$DATA/output_0.pb" "$OUT/res/logits.npy" <<'PY'
import sys, numpy as np
from onnx import TensorProto, numpy_helper
t = TensorProto(); t.ParseFromString(open(sys.argv[1], "rb").read())
ref, got = numpy_helper.to_array(t), np.load(sys.argv[2])
print(f"logits {list(got.shape)}: max abs diff vs torch {np.abs(ref - got).max():.2e}")
print("next token per sequence (argmax of the last position):",
      got[:, -1].argmax(-1).tolist(), "torch:", ref[:, -1].argmax(-1).tolist())
PY

echo
echo "== threshold policy: the stage count is the result"
$BIN/pippyc $MODEL --split threshold --threshold 300KB --input-shape input_ids=4x16 --plan-only -o "$OUT/thr" | head -8
echo
echo "plan: $OUT/prog/pipeline.yaml   graph: $OUT/prog/graph.svg   programs: $OUT/prog/rank_*"
