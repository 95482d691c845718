#!/usr/bin/env bash
# pippyc's compile path on the full GPT-2-XL-shaped model (48 layers, 6.2 GB external data):
# wall time and peak memory for
#   1. --plan-only --ranks 8                             (symbolic shapes: no FLOPs per stage)
#   2. --plan-only --ranks 8 --input-shape input_ids=1x128
#   3. full codegen --ranks 8 --chunks 1 --input-shape input_ids=1x128 (8 shards + 8 programs)
# the plan-only cases run --runs times (default 3), codegen --codegen-runs times (default 1,
# it takes about a minute here); the median is printed.  Peak RSS is /usr/bin/time -v's
# "Maximum resident set size"; beside it the peak of RssAnon and RssFile sampled from
# /proc/PID/status every 50 ms (RssFile counts pages of the mmapped weights that the process
# touched: those are page cache, shared and reclaimable, not memory pippyc allocated).
# The ratios are peak RSS / weight bytes (the .data file's size).
#
#   bench/bench_compile.sh [--bin DIR] [--model /tmp/gpt2xl/model.onnx] [--runs 3]
#                          [--codegen-runs 1] [--out DIR]
#
# The model is generated with bench/make_gpt2xl.py when missing (~13 s plus the write).
# Full codegen writes ~6.2 GB of shards into --out (default a temporary directory, removed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=""
MODEL=/tmp/gpt2xl/model.onnx
RUNS=3
CG_RUNS=1
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --codegen-runs) CG_RUNS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench_compile: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$BIN" ]; then
    for d in "$ROOT/build-bench/bin" "$ROOT/build/bin" "$ROOT/build-lead/bin"; do
        if [ -x "$d/pippyc" ]; then BIN=$d; break; fi
    done
fi
[ -x "$BIN/pippyc" ] || { echo "bench_compile: no pippyc (build build-bench or pass --bin)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench_compile: needs GNU time at /usr/bin/time" >&2; exit 2; }
if [ ! -f "$MODEL" ]; then
    echo "generating $(dirname "$MODEL") with bench/make_gpt2xl.py"
    python3 "$ROOT/bench/make_gpt2xl.py" "$(dirname "$MODEL")"
fi
DATA="$MODEL.data"
WBYTES=$(stat -c %s "$DATA")
TMP=$(mktemp -d /tmp/bench_compile.XXXXXX)
[ -n "$OUT" ] || OUT=$TMP/out
trap 'rm -rf "$TMP"; [ "$OUT" = "$TMP/out" ] || rm -rf "$OUT"' EXIT
echo "pippyc $BIN/pippyc; model $MODEL; weights $WBYTES bytes; $(nproc) cores;" \
     "$(free -g | awk '/Mem:/{print $2}') GB RAM; median of $RUNS plan-only and $CG_RUNS codegen runs"

# one timed run: prints "wall_s maxrss_kb peak_anon_kb peak_file_kb"
measure() {
    local log=$TMP/time.log samp=$TMP/samp
    : > "$samp"
    /usr/bin/time -v -o "$log" "$@" > "$TMP/stdout" 2>&1 &
    local tpid=$! cpid=""
    while kill -0 "$tpid" 2>/dev/null; do
        [ -n "$cpid" ] || cpid=$(pgrep -P "$tpid" -x pippyc || true)
        if [ -n "$cpid" ] && [ -r "/proc/$cpid/status" ]; then
            awk '/^RssAnon/{a=$2} /^RssFile/{f=$2} END{if (a != "") print a, f}' \
                "/proc/$cpid/status" >> "$samp" 2>/dev/null || true
        fi
        sleep 0.05
    done
    if ! wait "$tpid"; then
        echo "bench_compile: failed: $*" >&2; cat "$TMP/stdout" >&2; exit 1
    fi
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,t,":"); s=0;
                for (i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")
    awk -v w="$wall" -v r="$rss" 'BEGIN{a=0;f=0} {if ($1>a) a=$1; if ($2>f) f=$2}
        END{print w, r, a, f}' "$samp"
}

median() { sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

declare -a NAMES=("plan-only, no --input-shape" "plan-only, --input-shape 1x128"
                  "codegen --ranks 8, 1x128")
run_case() {
    case $1 in
    0) measure "$BIN/pippyc" "$MODEL" --ranks 8 --plan-only -o "$OUT" ;;
    1) measure "$BIN/pippyc" "$MODEL" --ranks 8 --plan-only --input-shape input_ids=1x128 -o "$OUT" ;;
    2) rm -rf "$OUT"; measure "$BIN/pippyc" "$MODEL" --ranks 8 --chunks 1 --input-shape input_ids=1x128 -o "$OUT" ;;
    esac
}

cat "$DATA" > /dev/null   # the first run should not pay for reading the file from disk
printf '\n| %-32s | %8s | %12s | %12s | %12s | %10s | %12s |\n' \
    "case" "wall s" "max RSS MB" "RssAnon MB" "RssFile MB" "RSS/weights" "anon/weights"
printf '|%s|\n' "----------------------------------|----------|--------------|--------------|--------------|------------|--------------"
for c in 0 1 2; do
    : > "$TMP/runs"
    n=$RUNS; [ "$c" != 2 ] || n=$CG_RUNS
    for _ in $(seq "$n"); do run_case "$c" >> "$TMP/runs"; done
    w=$(awk '{print $1}' "$TMP/runs" | median)
    r=$(awk '{print $2}' "$TMP/runs" | median)
    a=$(awk '{print $3}' "$TMP/runs" | median)
    f=$(awk '{print $4}' "$TMP/runs" | median)
    awk -v n="${NAMES[$c]}" -v w="$w" -v r="$r" -v a="$a" -v f="$f" -v wb="$WBYTES" 'BEGIN{
        printf "| %-32s | %8.2f | %12.1f | %12.1f | %12.1f | %9.2f%% | %11.3f%% |\n",
            n, w, r/1024, a/1024, f/1024, 100*r*1024/wb, 100*a*1024/wb }'
    if [ "$c" = 2 ]; then
        sb=$(cat "$OUT"/stage_*.weights | wc -c)
        echo "(codegen wrote $(ls "$OUT"/stage_*.weights | wc -l) shards, $sb bytes = $(awk -v s="$sb" -v w="$WBYTES" 'BEGIN{printf "%.3f", s/w}') x the weights; $(ls "$OUT"/rank_* | wc -l) programs)"
        grep -E '^(stage|rank|[0-9]+ |wrote|time:)' "$TMP/stdout" | sed 's/^/    /'
    fi
done
