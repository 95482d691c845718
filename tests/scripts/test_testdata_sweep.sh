#!/usr/bin/env bash
# pippyc over every model.onnx of the ONNX backend test data (Debian libonnx-testdata):
# each must give a plan (exit 0) or a clear error (exit 1, lines starting "error:" or
# "pippyc:"), never a crash, a hang or another exit status. Prints a summary by outcome and
# the unsupported ops by count.
set -u
BIN=${PIPPY_BIN:-build/bin}
DATA=${PIPPY_TESTDATA:-/usr/share/libonnx-testdata/data}
[ -d "$DATA" ] || { echo "no test data at $DATA (install libonnx-testdata)"; exit 1; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
ok=0; err=0; bad=0; n=0
: > "$out/unsupported"
while IFS= read -r m; do
  n=$((n + 1))
  timeout 60 "$BIN/pippyc" "$m" --split equal_size --ranks 1 > "$out/stdout" 2> "$out/stderr"
  rc=$?
  if [ $rc -eq 0 ]; then
    ok=$((ok + 1))
  elif [ $rc -eq 1 ] && [ -s "$out/stderr" ] && ! grep -qiE "sanitizer|runtime error|assert" "$out/stderr"; then
    err=$((err + 1))
    grep -o "unsupported op '[^']*'" "$out/stderr" >> "$out/unsupported"
  else
    bad=$((bad + 1))
    echo "FAIL: $m: exit $rc"; head -5 "$out/stderr"
  fi
done < <(find "$DATA" -name model.onnx | sort)
echo "unsupported ops (models):"
sort "$out/unsupported" | uniq -c | sort -rn | head -40
echo "testdata sweep: $n models: $ok planned, $err clear errors, $bad crashes or bad exits"
[ $n -gt 1000 ] || { echo "FAIL: expected > 1000 models, found $n"; exit 1; }
echo "$((ok + err)) passed, $bad failed"
[ $bad -eq 0 ]
