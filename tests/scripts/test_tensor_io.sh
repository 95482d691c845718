#!/usr/bin/env bash
# test_tensor_io.sh - the runtime's tensor file I/O (runtime/rt_io.c) against numpy and onnx.
# 1. tensor_io_check.py roundtrip: files written by numpy and onnx (every dtype, ranks 0-4 and 8,
#    empty, extreme values, NaN/inf, big-endian, Fortran order, .npy 1.0-3.0) are read by the
#    runtime's reader and written back by both writers (build/tests/tensor_roundtrip); np.load
#    and onnx must get exactly the original back. Malformed files: exit 1 and a clear message.
# 2. End to end: lm_dyn compiled for 2 ranks x 2 microbatches, fed its test_data_set_0 input
#    as .npy (as numpy saves it, then big-endian Fortran order), and its --output-dir
#    <name>.npy and output_<i>.pb compared with the torch reference (rtol 1e-3, atol 1e-4).
# Env: PIPPY_BIN, PIPPY_SRC, PIPPY_BUILD (from CTest). Needs python3 with numpy and onnx.
set -u
SRC=${PIPPY_SRC:-.}
BIN=${PIPPY_BIN:-$SRC/build/bin}
BUILD=${PIPPY_BUILD:-$(dirname "$BIN")}
TOOL=$BUILD/tests/tensor_roundtrip
CHECK="python3 $SRC/tests/scripts/tensor_io_check.py"
if ! python3 -c "import numpy, onnx" 2>/dev/null; then
    echo "test_tensor_io: skipped: python3 with numpy and onnx is needed (pip install numpy onnx)"
    exit 77
fi
if [ ! -x "$TOOL" ]; then
    echo "FAIL $TOOL not built (cmake --build $BUILD --target tensor_roundtrip)"
    echo "0 passed, 1 failed"
    exit 1
fi
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0

# a tensor_io_check.py run: its failures are printed, its "N passed, N failed" added up
tally() { # LABEL LOGFILE RC
    local line p f
    line=$(tail -1 "$2")
    if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
    else
        p=0; f=1; tail -20 "$2"
    fi
    [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    grep -v "passed, .* failed$" "$2" | sed "s/^/  /"
    echo "$( [ "$f" -eq 0 ] && echo "ok  " || echo "FAIL") $1: $p checks passed, $f failed"
    pass=$((pass + p)); fail=$((fail + f))
}

mkdir -p "$out/rt"
$CHECK roundtrip "$TOOL" "$out/rt" > "$out/rt.log" 2>&1
tally "round trip through rt_io" "$out/rt.log" $?

# end to end: lm_dyn fed .npy inputs, its .npy / .pb outputs against torch's
DS=$SRC/tests/models/lm_dyn/test_data_set_0
if ! $BIN/pippyc "$SRC/tests/models/lm_dyn/model.onnx" --ranks 2 --chunks 2 \
        --input-shape input_ids=4x16 -o "$out/prog" > "$out/pippyc.log" 2>&1; then
    tail -5 "$out/pippyc.log"; echo "FAIL pippyc lm_dyn"; fail=$((fail + 1))
else
    for variant in "c-order:" "big-endian-fortran:--big-endian --fortran"; do
        name=${variant%%:*}; flags=${variant#*:}
        if ! $CHECK npy-from-pb "$DS/input_0.pb" "$out/ids_$name.npy" $flags > "$out/conv.log" 2>&1; then
            cat "$out/conv.log"; echo "FAIL e2e $name: cannot write the .npy input"; fail=$((fail + 1)); continue
        fi
        sed "s/^/  /" "$out/conv.log"
        if ! timeout 300 $BIN/pippyrun --nproc-per-node 2 "$out/prog" --input "input_ids=$out/ids_$name.npy" \
                --threads 1 --output-dir "$out/res_$name" -q > "$out/run.log" 2>&1; then
            tail -5 "$out/run.log"; echo "FAIL e2e $name: pippyrun failed"; fail=$((fail + 1)); continue
        fi
        $CHECK compare "$DS" "$out/res_$name" > "$out/cmp.log" 2>&1
        tally "e2e lm_dyn 2 ranks x 2 chunks, input_ids from $name .npy" "$out/cmp.log" $?
    done
    # the same input in two layouts must give the same bits
    if [ -d "$out/res_c-order" ] && [ -d "$out/res_big-endian-fortran" ]; then
        if r=$(python3 "$SRC/tests/scripts/compare.py" --bitwise "$out/res_c-order" "$out/res_big-endian-fortran") &&
           cmp -s "$out/res_c-order/logits.npy" "$out/res_big-endian-fortran/logits.npy"; then
            echo "ok   e2e: big-endian Fortran .npy input gives the same bits as the C-order one"; pass=$((pass + 1))
        else
            echo "FAIL e2e: big-endian Fortran .npy input differs from the C-order one: $r"; fail=$((fail + 1))
        fi
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
