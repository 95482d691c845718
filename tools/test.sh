#!/usr/bin/env bash
# The whole test suite: every test on the Release build (unit, end to end, conformance, the
# backend-test sweep, a bounded libFuzzer run, the HF architectures, torchrun), then again under
# AddressSanitizer + UBSan (LeakSanitizer on), where stage programs are built with the
# sanitizers too. Left out of that phase: the libFuzzer run (its own sanitized build), and
# test_pippyrun (LeakSanitizer's exit-time check can hang when a signal reaches its tracer,
# which that test's `timeout` group kill does). Both phases always run; a failed build fails
# the run; the last lines name every skipped test and why, then count passed, failed, skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
res=$(mktemp -d); trap 'rm -rf "$res"' EXIT
status=0

build() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null || return 1
  if ! cmake --build "$dir" -j"$jobs" > "$dir/build.log" 2>&1; then
    grep -E "error|Error" "$dir/build.log" | head -40
    echo "test: build of $dir failed (full log: $dir/build.log)"
    return 1
  fi
}

# torch is for test_torchrun alone (the real torchrun launching the rank programs): PyPI's
# wheel with its CUDA libraries, about 2.5 GB and 2.5 minutes here (measured); never needed
# to compile or run a model.
if ! python3 -c "import torch.distributed.run" > /dev/null 2>&1; then
  echo "test: pip install torch (for test_torchrun)"
  python3 -m pip install -q --root-user-action=ignore torch ||
    echo "test: torch did not install; test_torchrun will say it skipped torchrun itself"
fi

echo "== tests (Release build)"
if build build -DCMAKE_BUILD_TYPE=Release; then
  ctest --test-dir build --output-on-failure -j"$jobs" -LE cuda --output-junit "$res/release.xml" || status=1
else
  status=1
fi

echo "== under ASan/UBSan"
if build build-asan -DCMAKE_BUILD_TYPE=Debug -DPIPPY_SANITIZE=ON; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE cuda \
    -E "test_fuzz_onnx|test_pippyrun" --output-junit "$res/asan.xml" || status=1
else
  status=1
fi

echo "== summary"
python3 tests/scripts/summary.py release="$res/release.xml" asan="$res/asan.xml" || status=1
exit $status
