#!/usr/bin/env bash
# compare.py, which every end-to-end test trusts, must fail on what it is there to catch: a NaN
# where a number is expected, a value outside the tolerance, a wrong shape or dtype, a missing
# output; and pass equal outputs and NaN against NaN.
set -u
SRC=${PIPPY_SRC:-.}
CMP="python3 $SRC/tests/scripts/compare.py"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
pass=0; fail=0
python3 - "$out" <<'PY' || { echo "FAIL could not write the test tensors"; exit 1; }
import os, sys
import numpy as np
from onnx import numpy_helper
d = sys.argv[1]
ref = np.array([[1.0, -2.0, 3.5], [np.nan, 0.0, 1e3]], np.float32)
cases = {
    "ref": ref, "same": ref.copy(),
    "nan": np.where(np.arange(6).reshape(2, 3) == 1, np.nan, ref).astype(np.float32),
    "far": ref + np.float32(0.01), "near": ref * np.float32(1 + 1e-5),
    "shape": ref.reshape(3, 2), "dtype": ref.astype(np.float64),
    "inf": np.where(np.arange(6).reshape(2, 3) == 2, np.inf, ref).astype(np.float32),
}
for k, v in cases.items():
    os.makedirs(os.path.join(d, k))
    with open(os.path.join(d, k, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v).SerializeToString())
os.makedirs(os.path.join(d, "missing"))
PY
expect() { # expected-status description args...
  local want=$1 what=$2; shift 2
  local msg; msg=$($CMP "$@" 2>&1); local rc=$?
  if [ "$rc" -eq "$want" ]; then echo "ok   $what (exit $rc: $msg)"; pass=$((pass + 1))
  else echo "FAIL $what: exit $rc, expected $want ($msg)"; fail=$((fail + 1)); fi
}
expect 0 "equal outputs (NaN against NaN) match" "$out/ref" "$out/same"
expect 0 "a relative error of 1e-5 is within rtol 1e-3" "$out/ref" "$out/near"
expect 1 "a NaN where -2 is expected fails" "$out/ref" "$out/nan"
expect 1 "a NaN where -2 is expected fails at any tolerance" "$out/ref" "$out/nan" --rtol 1e9 --atol 1e9
expect 1 "inf where 3.5 is expected fails" "$out/ref" "$out/inf"
expect 1 "an error of 0.01 is outside atol 1e-4" "$out/ref" "$out/far"
expect 1 "a wrong shape fails" "$out/ref" "$out/shape"
expect 1 "a wrong dtype fails" "$out/ref" "$out/dtype"
expect 1 "a missing output fails" "$out/ref" "$out/missing"
expect 0 "--bitwise: identical files" --bitwise "$out/ref" "$out/same"
expect 1 "--bitwise: a 1e-5 relative difference fails" --bitwise "$out/ref" "$out/near"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
