#!/usr/bin/env bash
# --split-spec end to end: small ONNX models (tests/scripts/split_spec_models.py: elementwise,
# MatMul with the batch on the row and on the column side, attention with batch-first and
# sequence-first layouts, Softmax, ReduceMean, a Gather that needs --output-split-spec) cut
# along dims 0, 1, the last and -1 (replicated), at --chunks 1, 2, 4 and ranks 1 and 2,
# against the full batch run once by onnxruntime (or numpy): every output must come back
# with the full batch's shape and values, joined along the axis the cut becomes in it.
# Then what pippyc must refuse (exit 1, naming the node and op): a cut that a node mixes
# across microbatches (Softmax or ReduceMean over it, a MatMul contracting it, attention
# over a cut sequence), an output whose axis cannot be followed without
# --output-split-spec, and bad --output-split-spec values.
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
if ! python3 -c 'import numpy, onnx' 2>/dev/null; then
    echo "skipped: python3 with numpy and onnx is needed to build the test models"
    exit 77
fi
GEN="python3 $SRC/tests/scripts/split_spec_models.py"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

if ! $GEN make "$out/m"; then
    bad "could not build the models"
    echo "$pass passed, $fail failed"
    exit 1
fi

# The whole batch's input shapes, per model.
shapes() {
    case $1 in
    elementwise) echo "--input-shape x=4x8x12" ;;
    matmul) echo "--input-shape x=4x8 --input-shape xc=8x4 --input-shape x3=4x8x8" ;;
    dot) echo "--input-shape a=4x8 --input-shape b=8x12" ;;
    attention) echo "--input-shape x=4x8x16" ;;
    attention_sf) echo "--input-shape x=8x4x16" ;;
    softmax | reduce) echo "--input-shape x=4x8" ;;
    gather_row) echo "--input-shape x=4x6 --input-shape r=1x6" ;;
    esac
}

# specs "x=0 xc=1" -> "--split-spec x=0 --split-spec xc=1"
specs() { local s r=""; for s in $1; do r="$r --split-spec $s"; done; echo "$r"; }

n=0
# run_case MODEL "SPECS" CHUNKS RANKS [more pippyc args]: compile, run, compare
run_case() {
    local m=$1 sp=$2 c=$3 r=$4
    shift 4
    n=$((n + 1))
    local d="$out/c$n" what="$m [$sp] chunks $c ranks $r${*:+ $*}" ins="" f
    for f in "$out/m/$m"/*.npy; do ins="$ins --input $(basename "$f" .npy)=$f"; done
    if ! $BIN/pippyc "$out/m/$m/model.onnx" --ranks "$r" --chunks "$c" $(shapes "$m") \
            $(specs "$sp") "$@" -o "$d" > "$d.log" 2>&1; then
        bad "$what: pippyc failed"; tail -4 "$d.log"; return
    fi
    if ! timeout 120 $BIN/pippyrun --nproc-per-node "$r" "$d" $ins --threads 1 \
            --output-dir "$d/res" -q > "$d.run" 2>&1; then
        bad "$what: pippyrun failed"; tail -4 "$d.run"; return
    fi
    local res
    if res=$($GEN compare "$out/m/$m/ref" "$d/res"); then ok "$what: $res"
    else bad "$what: $res"; fi
    rm -rf "$d"
}

for c in 1 2 4; do
    for r in 1 2; do
        for sd in 0 1 2 -1; do run_case elementwise "x=$sd" $c $r; done
        run_case matmul "x=0 xc=1 x3=0" $c $r
        run_case matmul "x=0 xc=1 x3=1" $c $r
        run_case matmul "x=-1 xc=-1 x3=-1" $c $r
        run_case dot "a=0 b=-1" $c $r
        run_case dot "a=-1 b=1" $c $r
        run_case attention "x=0" $c $r
        run_case attention "x=-1" $c $r
        run_case attention_sf "x=1" $c $r
        run_case attention_sf "x=-1" $c $r
        run_case softmax "x=0" $c $r
        run_case reduce "x=1" $c $r
    done
done
# --chunks 1 cuts nothing: a spec that would mix microbatches is no error there
for r in 1 2; do
    run_case dot "a=1 b=0" 1 $r
    run_case attention "x=1" 1 $r
    run_case attention "x=2" 1 $r
    run_case softmax "x=1" 1 $r
    run_case reduce "x=0" 1 $r
done
# an output the analysis cannot follow, joined where the user says
for c in 2 4; do
    for r in 1 2; do run_case gather_row "x=0 r=-1" $c $r --output-split-spec y=0; done
done
printf 'output-split-spec: {y: 0}\nsplit-spec: {r: -1}\n' > "$out/cfg.yaml"
run_case gather_row "" 2 2 --config "$out/cfg.yaml"

# refused MODEL "SPECS" CHUNKS "NEEDLE"... [-- more pippyc args]: exit 1, every needle in
# the message, no programs written
refused() {
    local m=$1 sp=$2 c=$3
    shift 3
    local needles=() extra=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do needles+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    extra=("$@")
    n=$((n + 1))
    local d="$out/c$n" what="$m [$sp] chunks $c${extra[*]:+ ${extra[*]}}" msg rc k
    msg=$($BIN/pippyc "$out/m/$m/model.onnx" --chunks "$c" $(shapes "$m") $(specs "$sp") \
        "${extra[@]}" -o "$d" 2>&1)
    rc=$?
    if [ $rc -ne 1 ]; then bad "$what: exit $rc, expected 1: $(tail -2 <<< "$msg")"; return; fi
    for k in "${needles[@]}"; do
        if ! grep -qF -- "$k" <<< "$msg"; then
            bad "$what: message lacks '$k': $(grep -i error <<< "$msg" | head -3)"; return
        fi
    done
    if [ -e "$d/rank_0" ]; then bad "$what: refused but wrote programs"; return; fi
    ok "$what: refused ($(grep -m1 '^error' <<< "$msg" | cut -c1-110)...)"
}

refused softmax "x=1" 2 "node 'softmax' (Softmax)" "axis 1" "microbatch axis"
refused reduce "x=0" 2 "node 'mean' (ReduceMean)" "reduces over axis 0"
refused dot "a=1 b=0" 2 "node 'a_at_b' (MatMul)" "contracts axis 1"
refused dot "a=1 b=0" 4 "node 'a_at_b' (MatMul)" "contracts axis 1"
refused dot "a=0 b=1" 2 "node 'a_at_b' (MatMul)" "combines different microbatches"
refused attention "x=1" 2 "node 'qk' (MatMul)" "combines different microbatches"
refused attention "x=1" 4 "node 'qk' (MatMul)" "combines different microbatches"
# cut along D, the projections' K no longer matches their weights: a shape error
refused attention "x=2" 2 "node 'q_proj' (MatMul)"
refused attention_sf "x=0" 2 "node 'qk' (MatMul)"
refused gather_row "x=0 r=-1" 2 "output 'y'" "node 'add' (Add)" "--output-split-spec y=DIM"
# --output-split-spec does not excuse a node that mixes microbatches
refused softmax "x=1" 2 "node 'softmax' (Softmax)" -- --output-split-spec y=1
# bad --output-split-spec values (also at --chunks 1, where nothing is cut)
refused elementwise "x=0" 2 "--output-split-spec nope=0" "graph output (y, t)" -- --output-split-spec nope=0
refused elementwise "x=0" 1 "--output-split-spec nope=0" -- --output-split-spec nope=0
refused elementwise "x=0" 2 "expected a dim of y (0..2) or -1" -- --output-split-spec y=3
refused elementwise "x=0" 2 "expected a dim of t (0..2) or -1" -- --output-split-spec t=-2
refused elementwise "x=0" 2 "expected a dim of y" -- --output-split-spec y=one
refused elementwise "x=0" 2 "expected NAME=DIM" -- --output-split-spec y

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
