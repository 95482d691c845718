#!/usr/bin/env bash
# The whole test suite: every test on the Release build (unit, end to end, conformance, the
# backend-test sweep, a bounded libFuzzer run, the HF architectures), then the unit tests and
# the end-to-end, failure and sweep tests again under AddressSanitizer + UBSan (LeakSanitizer
# on), where stage programs are built with the sanitizers too. test_pippyrun (signals sent to
# the launcher itself) runs only in the Release phase: LeakSanitizer's exit-time check can
# hang when a signal reaches its tracer, which that test's `timeout` group kill does.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== tests (Release build)"
ctest --test-dir build --output-on-failure -j"$jobs" -LE cuda

echo "== under ASan/UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPIPPY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" 2>&1 | grep -E "error|warning" || true
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE "cuda|slow" \
  -E "test_conformance|test_fuzz_onnx|test_pippyrun"
