#!/usr/bin/env bash
# Conformance regression check: every test listed in tests/conformance/passing.txt (ONNX
# backend tests that pippyc passed when the list was written) must still pass — compiled with
# pippyc --ranks 1, run, outputs compared with the test data's references.
# Regenerate the list: python3 tests/conformance/run.py --write-passing --write-readme
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
DATA=${PIPPY_TESTDATA:-/usr/share/libonnx-testdata/data}
[ -d "$DATA" ] || { echo "no test data at $DATA (install libonnx-testdata)"; exit 1; }
python3 -c 'import numpy, onnx' 2>/dev/null || { echo "FAIL: python3 needs numpy and onnx"; exit 1; }
exec python3 "$SRC/tests/conformance/run.py" --check --bin "$BIN" --jobs "${PIPPY_CONF_JOBS:-2}"
