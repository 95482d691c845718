#!/bin/bash
# test_fuzz_onnx.sh - build the libFuzzer targets with clang (ASan + UBSan) in a build folder
# of its own and run each for a bounded time on a copy of its corpus: the ONNX importer
# (tests/fuzz/corpus) and the runtime's .npy/.pb tensor readers (tests/fuzz/corpus_tensor).
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
run_target() { # TARGET CORPUS SECONDS
    local target=$1 corpus=$2 secs=$3
    cmake --build "$FB" --target "$target" -j2 >"$FB/build.log" 2>&1 \
        || { tail -50 "$FB/build.log"; echo "test_fuzz_onnx: build of $target failed" >&2; return 1; }
    local bin
    bin=$(find "$FB" -name "$target" -type f -perm -u+x | head -1)
    [ -x "$bin" ] || { echo "test_fuzz_onnx: $target not built" >&2; return 1; }
    local work
    work=$(mktemp -d /tmp/pippy_$target.XXXXXX)
    cp "$SRC/tests/fuzz/$corpus"/* "$work/" || return 1
    mkdir -p "$work/artifacts"
    echo "$target: fuzzing for ${secs}s on $(ls "$work" | wc -l) seeds"
    ( cd "$work" && "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -max_len=16384 -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work" ) \
        >"$work/fuzz.log" 2>&1
    local rc=$?
    tail -12 "$work/fuzz.log"
    if [ $rc -ne 0 ] || ls "$work/artifacts/"* >/dev/null 2>&1; then
        echo "test_fuzz_onnx: $target FAILED (rc $rc); artifacts:" >&2
        ls -l "$work/artifacts/" >&2
        mkdir -p "$FB/fuzz-artifacts" && cp "$work/artifacts/"* "$FB/fuzz-artifacts/" 2>/dev/null
        echo "copied to $FB/fuzz-artifacts" >&2
        rm -rf "$work"
        return 1
    fi
    rm -rf "$work"
    echo "$target: no crash in ${secs}s"
}
fails=0
run_target fuzz_onnx corpus "$SECS" || fails=$((fails + 1))
run_target fuzz_tensor corpus_tensor $(( SECS / 3 > 5 ? SECS / 3 : 5 )) || fails=$((fails + 1))
echo "$((2 - fails)) passed, $fails failed"
[ $fails -eq 0 ]
