#!/bin/bash
# test_slow_hf_models.sh - real Hugging Face architectures (tests/models/hf_*, made by
# tests/models/make_hf_models.py: GPT-2, OPT (also with a left-padded attention_mask), BLOOM,
# GPT-Neo, CodeGen, BERT (also BertModel with a padded attention_mask), ViT, ResNet-50-shaped,
# RegNet) through pippyc at 1, 2 and 4 ranks for each test data set (set 0: batch 4, 2
# microbatches; set 1: text [2, 11] in 2 microbatches, vision batch 3 in 3), run with pippyrun
# (or rank by rank by hand when pippyrun is not built), outputs compared with the torch
# references (output_*.pb) within rtol 1e-3 / atol 1e-4.
# Prints one line per (model, data set, ranks) and "N passed, M failed"; exits non-zero on
# any failure.
# A model whose model.onnx is missing counts as failed (never passes silently).
# Env: PIPPY_BIN (default build/bin), PIPPY_SRC (default: this repo);
# HF_MODELS="gpt2 bert" to run only some; HF_RANKS="1 2 4" to choose the rank counts.
set -u
SRC=${PIPPY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${PIPPY_BIN:-$SRC/build/bin}
PIPPYC=$BIN/pippyc
PIPPYRUN=$BIN/pippyrun
ALL_MODELS="gpt2 opt opt_mask bloom gpt_neo codegen bert bert_mask vit resnet50 regnet"
MODELS=${HF_MODELS:-$ALL_MODELS}
RANKS=${HF_RANKS:-1 2 4}
RUN_TIMEOUT=${HF_RUN_TIMEOUT:-120}
passes=0; fails=0
ok()  { echo "ok   $*"; passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

[ -x "$PIPPYC" ] || { echo "FAIL $PIPPYC not built"; echo "0 passed, 1 failed"; exit 1; }
python3 -c "import numpy, onnx" 2>/dev/null || {
    echo "FAIL python3 with numpy and onnx is needed to compare outputs (tools/setup.sh)"
    echo "0 passed, 1 failed"; exit 1; }
TMP=$(mktemp -d /tmp/test_hf_models.XXXXXX)
bgpids=""
cleanup() { for p in $bgpids; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

# name, dims ("4x16") and graph-input order of each input_<i>.pb
pb_info() { # pb_info FILE -> "NAME DIMS"
    python3 - "$1" <<'PY'
import sys
from onnx import TensorProto
t = TensorProto()
t.ParseFromString(open(sys.argv[1], "rb").read())
print(t.name, "x".join(str(d) for d in t.dims))
PY
}

compare() { # compare REF_DIR OUT_DIR -> prints "max_abs_err ok|bad [why]"
    python3 - "$1" "$2" <<'PY'
import glob, os, sys
import numpy as np
from onnx import TensorProto, numpy_helper
ref_dir, out_dir = sys.argv[1:3]
worst, good, why = 0.0, True, ""
refs = sorted(glob.glob(os.path.join(ref_dir, "output_*.pb")))
if not refs:
    print("nan bad no reference outputs"); sys.exit(0)
for r in refs:
    t = TensorProto(); t.ParseFromString(open(r, "rb").read())
    want = numpy_helper.to_array(t)
    p = os.path.join(out_dir, os.path.basename(r))
    if not os.path.exists(p):
        good, why = False, "missing " + os.path.basename(r); continue
    g = TensorProto(); g.ParseFromString(open(p, "rb").read())
    got = numpy_helper.to_array(g)
    if got.shape != want.shape:
        good, why = False, "%s shape %s, want %s" % (os.path.basename(r), got.shape, want.shape)
        continue
    if not np.all(np.isfinite(got)):
        good, why = False, "%s has non-finite values" % os.path.basename(r)
    err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if want.size else 0.0
    worst = max(worst, err)
    if not np.allclose(got, want, rtol=1e-3, atol=1e-4):
        good, why = False, "%s outside rtol 1e-3 / atol 1e-4" % os.path.basename(r)
print("%.3g %s %s" % (worst, "ok" if good else "bad", why))
PY
}

free_port() {
    python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

run_by_hand() { # run_by_hand DIR NRANKS LOG ARGS... : ranks 1..N-1 in the background, 0 here
    local dir=$1 n=$2 log=$3 port r rc=0 p
    shift 3
    port=$(free_port)
    local pids=""
    for ((r = 1; r < n; r++)); do
        MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$n RANK=$r LOCAL_RANK=$r \
            LOCAL_WORLD_SIZE=$n timeout "$RUN_TIMEOUT" "$dir/rank_$r" "$@" >>"$log" 2>&1 &
        pids="$pids $!"
    done
    bgpids="$bgpids $pids"
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=$n RANK=0 LOCAL_RANK=0 \
        LOCAL_WORLD_SIZE=$n timeout "$RUN_TIMEOUT" "$dir/rank_0" "$@" >>"$log" 2>&1 || rc=$?
    for p in $pids; do wait "$p" || { [ $rc = 0 ] && rc=1; }; done
    return $rc
}

if [ -x "$PIPPYRUN" ]; then echo "# running with $PIPPYRUN"; else echo "# $PIPPYRUN not built: starting ranks by hand"; fi

for m in $MODELS; do
    mdir=$SRC/tests/models/hf_$m
    if [ ! -f "$mdir/model.onnx" ] || [ ! -f "$mdir/test_data_set_0/input_0.pb" ]; then
        echo "skip: hf_$m not generated (run tests/models/make_hf_models.py)"
        bad "hf_$m: model or test data missing"
        continue
    fi
    for ds in "$mdir"/test_data_set_*; do
        k=${ds##*_}
        shapes=(); inputs=(); batch=""; desc=""
        for f in "$ds"/input_*.pb; do
            read -r name dims < <(pb_info "$f")
            shapes+=(--input-shape "$name=$dims")
            inputs+=(--input "$name=$f")
            [ -n "$batch" ] || { batch=${dims%%x*}; desc=$dims; }
        done
        # 2 microbatches when the batch is even, one per sample when it is odd
        chunks=1
        if [ "${batch:-1}" -gt 1 ]; then
            if [ $((batch % 2)) = 0 ]; then chunks=2; else chunks=$batch; fi
        fi
        for n in $RANKS; do
            what="hf_$m set $k ($desc) ranks=$n chunks=$chunks"
            out=$TMP/$m.$k.$n
            log=$out.log
            if ! timeout 600 "$PIPPYC" "$mdir/model.onnx" --ranks "$n" --chunks "$chunks" \
                    "${shapes[@]}" -o "$out/prog" >"$log" 2>&1; then
                bad "$what: pippyc failed:"
                grep -v '^compiling stage\|^wrote\|^time:' "$log" | tail -15 | sed 's/^/     /'
                continue
            fi
            rc=0
            if [ -x "$PIPPYRUN" ]; then
                timeout "$RUN_TIMEOUT" "$PIPPYRUN" --nproc-per-node "$n" "$out/prog" \
                    "${inputs[@]}" --output-dir "$out/res" >>"$log" 2>&1 || rc=$?
            else
                run_by_hand "$out/prog" "$n" "$log" "${inputs[@]}" --output-dir "$out/res" || rc=$?
            fi
            if [ $rc != 0 ]; then
                bad "$what: run failed (rc=$rc):"
                grep -iv 'samples/s\|busy\|^\[rank [0-9]*\] [0-9]  *[0-9.]* \|fill-drain' "$log" \
                    | grep -v '^compiling stage\|^wrote\|^time:' | tail -15 | sed 's/^/     /'
                continue
            fi
            read -r err verdict why < <(compare "$ds" "$out/res")
            if [ "$verdict" = ok ]; then ok "$what: max abs err $err"
            else bad "$what: max abs err $err $why"; fi
            rm -rf "$out"
        done
    done
done
echo "$passes passed, $fails failed"
[ $fails = 0 ]
