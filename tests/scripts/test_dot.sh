#!/bin/bash
# test_dot.sh - the plan writers' files are accepted by their real readers: Graphviz's dot
# renders every graph.dot the partition unit test writes, and PyYAML (YAML 1.1, the strict
# one about `yes`/`no`) reads pipeline.yaml back with the types a tool would expect.
# PART_TEST_BIN overrides the unit test binary (default $PIPPY_BUILD/tests/test_partition).
set -u
BUILD=${PIPPY_BUILD:?PIPPY_BUILD not set}
T=${PART_TEST_BIN:-$BUILD/tests/test_partition}
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

[ -x "$T" ] || { echo "FAIL $T not built"; exit 1; }
command -v dot >/dev/null || { echo "FAIL graphviz dot not installed"; exit 1; }
out=$(mktemp -d /tmp/test_dot.XXXXXX)
trap 'rm -rf "$out"' EXIT

if PART_TEST_OUT=$out "$T" >"$out/unit.log" 2>&1; then ok "test_partition wrote its files"
else bad "test_partition failed:"; tail -20 "$out/unit.log"; fi

n=0
for f in "$out"/*.dot; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    if dot -Tsvg "$f" -o "$f.svg" 2>"$f.err" && [ ! -s "$f.err" ] && grep -q "<svg" "$f.svg"; then
        ok "dot -Tsvg $(basename "$f"): $(grep -c 'class="cluster"' "$f.svg") clusters, no warnings"
    else
        bad "dot -Tsvg $(basename "$f"): $(cat "$f.err")"
    fi
done
[ "$n" -ge 3 ] && ok "$n DOT files rendered" || bad "expected at least 3 DOT files, found $n"

# the skip graph's DOT: 3 clusters, 3 red boundary edges
svg=$out/graph.dot.svg
[ "$(grep -c 'class="cluster"' "$svg" 2>/dev/null)" = 3 ] && ok "graph.dot: 3 stage clusters" \
    || bad "graph.dot: expected 3 clusters"
[ "$(grep -c 'stroke="red"' "$svg" 2>/dev/null)" -ge 3 ] && ok "graph.dot: boundary edges drawn red" \
    || bad "graph.dot: expected 3 red edges"

# PyYAML comes from tools/setup.sh: without it this test fails, it does not skip
if ! python3 -c "import yaml" 2>/dev/null; then
    bad "PyYAML is not installed (tools/setup.sh installs it)"
elif python3 - "$out/pipeline.yaml" <<'PY'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: check.bad = True
check.bad = False
check(p["version"] == 1 and p["policy"] == "equal_size" and p["nstages"] == 3, "header fields")
check(p["total_param_bytes"] == 768 and p["max_param_bytes"] == 512, "param bytes are ints")
check(abs(p["balance"] - 1.5) < 1e-9, "balance is a float, 1.5")
st = p["stages"]
check([s["nnodes"] for s in st] == [1, 1, 3], "stage sizes 1,1,3")
check(all(isinstance(n, str) for s in st for n in s["nodes"]), "every node name reads as a string")
check(st[2]["nodes"] == ["L3", "A1", "yes"], "node 'yes' stays a string, not True")
check(st[2]["recv"] == [
    {"name": "h1", "dtype": "float32", "shape": [1, 8], "bytes": 32, "from": 0},
    {"name": "h2", "dtype": "float32", "shape": [1, 8], "bytes": 32, "from": 1}], "stage 2 recv")
check([x["to"] for x in st[0]["send"]] == [1, 2], "stage 0 sends to 1 and straight to 2")
check(st[0]["inputs"] == ["x"] and st[2]["inputs"] == ["bias"], "graph inputs per stage")
check(st[2]["outputs"] == ["y", "W1"], "graph outputs per stage")
check(st[1]["recv"][0]["from"] == 0 and st[1]["send"][0]["to"] == 2, "stage 1 recv/send")
sys.exit(1 if check.bad else 0)
PY
then ok "pipeline.yaml read by PyYAML"; else bad "pipeline.yaml checks"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
