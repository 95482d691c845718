#!/usr/bin/env bash
# The demo: a GPT-2-style decoder LM exported from torch with dynamic batch/sequence axes
# (tests/models/lm_dyn), split into 4 pipeline stages with both of PiPPy's policies.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
MODEL=tests/models/lm_dyn/model.onnx
OUT=${1:-/tmp/pippyc-demo}
rm -rf "$OUT"

echo "== pippyc inspect $MODEL"
$BIN/pippyc inspect $MODEL | head -30

echo
echo "== equal_size into 4 stages (batch 4, sequence 16)"
$BIN/pippyc $MODEL --split equal_size --ranks 4 --input-shape input_ids=4x16 -o "$OUT/equal"

echo
echo "== threshold 300KB (the stage count is the result)"
$BIN/pippyc $MODEL --split threshold --threshold 300KB --input-shape input_ids=4x16 -o "$OUT/thr"

echo
echo "== the plan's boundary values (first stage)"
sed -n '/^- index: 0/,/^- index: 1/p' "$OUT/equal/pipeline.yaml" | grep -A12 "send:" | head -14 || true
dot -Tsvg "$OUT/equal/graph.dot" -o "$OUT/equal/graph.svg"
echo
echo "plan: $OUT/equal/pipeline.yaml   graph: $OUT/equal/graph.svg (one cluster per stage)"
