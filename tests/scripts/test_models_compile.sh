#!/usr/bin/env bash
# The torch-exported test models (tests/models, made by make_models.py) compile with both
# policies; the plan is checked: stage count, every node in exactly one stage, stages
# contiguous and non-empty, every graph output produced, the YAML parses, the DOT renders
# with Graphviz's dot.
set -u
BIN=${PIPPY_BIN:-build/bin}
M=${PIPPY_SRC:-.}/tests/models
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0
check() { # name, expect-stages, args...
  local name=$1 want=$2; shift 2
  local d="$out/${name//\//_}"
  if ! "$BIN/pippyc" "$@" -o "$d" > "$d.log" 2>&1; then
    echo "FAIL $name: pippyc $* exited non-zero"; cat "$d.log"; fail=$((fail + 1)); return
  fi
  local got
  # every node of the compiled graph in exactly one stage, stages contiguous and non-empty,
  # and every graph output of the ONNX model (read with onnx) produced by some stage
  if ! got=$(python3 - "$d/pipeline.yaml" "$@" <<'PY' 2>&1
import sys, yaml, onnx
p = yaml.safe_load(open(sys.argv[1]))
model = onnx.load(next(a for a in sys.argv[2:] if a.endswith(".onnx")), load_external_data=False)
st = p["stages"]
assert len(st) == p["nstages"] > 0, f"nstages {p['nstages']} but {len(st)} stages listed"
names = [n for s in st for n in s["nodes"]]
assert len(names) == len(set(names)), "a node in two stages"
assert len(names) == p["nnodes"], f"{len(names)} nodes placed of {p['nnodes']}"
assert all(len(s["nodes"]) == s["nnodes"] > 0 for s in st), "an empty stage or a wrong nnodes"
assert st[0]["node_begin"] == 0 and st[-1]["node_end"] == p["nnodes"], "stages do not cover the graph"
assert all(a["node_end"] == b["node_begin"] for a, b in zip(st, st[1:])), "stages not contiguous"
made = {o if isinstance(o, str) else o["name"] for s in st for o in s["outputs"]}
want = {o.name for o in model.graph.output}
assert want <= made, f"graph outputs no stage produces: {sorted(want - made)}"
print(len(st))
PY
); then
    echo "FAIL $name: plan check: $got"; fail=$((fail + 1)); return
  fi
  if [ -z "$got" ]; then echo "FAIL $name: plan check printed nothing"; fail=$((fail + 1)); return; fi
  if [ "$want" != "any" ] && [ "$got" != "$want" ]; then
    echo "FAIL $name: expected $want stages, plan has '$got'"; fail=$((fail + 1)); return
  fi
  if ! dot -Tsvg "$d/graph.dot" -o "$d/graph.svg" 2> "$d.dot.err"; then
    echo "FAIL $name: dot rejected graph.dot"; cat "$d.dot.err"; fail=$((fail + 1)); return
  fi
  echo "ok   $name: $got stages ($*)"; pass=$((pass + 1))
}
check lm_dyn/equal4      4   "$M/lm_dyn/model.onnx" --split equal_size --ranks 4 --input-shape input_ids=4x16
check lm_dyn/thresh1MB   any "$M/lm_dyn/model.onnx" --split threshold --threshold 1MB --input-shape input_ids=4x16
check lm_dyn/symbolic4   4   "$M/lm_dyn/model.onnx" --split equal_size --ranks 4 --plan-only
check lm_static/equal4   4   "$M/lm_static/model.onnx" --split equal_size --ranks 4
check lm_static/thr100KB any "$M/lm_static/model.onnx" --split threshold --threshold 100KB
check resnet/equal4      4   "$M/resnet/model.onnx" --split equal_size --ranks 4 --input-shape input=4x3x32x32
check resnet/thresh1MB   any "$M/resnet/model.onnx" --split threshold --threshold 1MB --input-shape batch=2
check resnet/thr200KB    any "$M/resnet/model.onnx" --split threshold --threshold 200KB --input-shape batch=2
check resnet/symbolic    any "$M/resnet/model.onnx" --split threshold --threshold 200KB --plan-only
check ifmodel/true4      4   "$M/ifmodel/model.onnx" --split equal_size --ranks 4 --concrete-arg use_gelu=true --input-shape x=4x16
check ifmodel/false      any "$M/ifmodel/model.onnx" --split threshold --threshold 1MB --concrete-arg use_gelu=false --input-shape x=4x16
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
