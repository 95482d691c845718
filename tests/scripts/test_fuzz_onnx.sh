#!/bin/bash
# test_fuzz_onnx.sh - build the ONNX frontend's libFuzzer target with clang (ASan + UBSan) in
# a build folder of its own and run it for a bounded time on a copy of tests/fuzz/corpus.
# Any crash, leak, sanitizer report or timeout makes it fail. Env: PIPPY_SRC, PIPPY_BUILD;
# FUZZ_SECONDS (default 60).
set -u
SRC=${PIPPY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PIPPY_BUILD:-$SRC/build}
SECS=${FUZZ_SECONDS:-60}
if ! command -v clang >/dev/null 2>&1; then
    echo "test_fuzz_onnx: clang not found; install it (README: apt-get install clang)" >&2
    exit 1
fi
FB="$BUILD/../build-fuzz"
mkdir -p "$FB" || exit 1
FB=$(cd "$FB" && pwd)
echo "configuring $FB (clang, PIPPY_FUZZ=ON, PIPPY_SANITIZE=ON)"
cmake -S "$SRC" -B "$FB" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DPIPPY_FUZZ=ON -DPIPPY_SANITIZE=ON >"$FB/configure.log" 2>&1 \
    || { cat "$FB/configure.log"; echo "test_fuzz_onnx: configure failed" >&2; exit 1; }
cmake --build "$FB" --target fuzz_onnx -j2 >"$FB/build.log" 2>&1 \
    || { tail -50 "$FB/build.log"; echo "test_fuzz_onnx: build failed" >&2; exit 1; }
BIN=$(find "$FB" -name fuzz_onnx -type f -perm -u+x | head -1)
[ -x "$BIN" ] || { echo "test_fuzz_onnx: fuzz_onnx not built" >&2; exit 1; }
WORK=$(mktemp -d /tmp/pippy_fuzz_onnx.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$SRC"/tests/fuzz/corpus/* "$WORK/" || exit 1
mkdir -p "$WORK/artifacts"
echo "fuzzing for ${SECS}s on $(ls "$WORK" | wc -l) seeds"
( cd "$WORK" && "$BIN" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
    -max_len=16384 -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 "$WORK" ) \
    >"$WORK/fuzz.log" 2>&1
rc=$?
tail -25 "$WORK/fuzz.log"
if [ $rc -ne 0 ] || ls "$WORK/artifacts/"* >/dev/null 2>&1; then
    echo "test_fuzz_onnx: FAILED (rc $rc); artifacts:" >&2
    ls -l "$WORK/artifacts/" >&2
    mkdir -p "$FB/fuzz-artifacts" && cp "$WORK/artifacts/"* "$FB/fuzz-artifacts/" 2>/dev/null
    echo "copied to $FB/fuzz-artifacts" >&2
    exit 1
fi
echo "test_fuzz_onnx: no crash in ${SECS}s"
