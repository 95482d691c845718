#!/usr/bin/env python3
"""Conformance: pippyc against the ONNX backend test data.

For each test (a model.onnx and test_data_set_0/{input_*,output_*}.pb): compile it with
`pippyc --ranks 1 --input-shape ...` (the shapes of the .pb inputs), run rank_0 on the inputs,
and compare every output_<i>.pb with the reference the test data ships: shape and dtype exact,
floats within rtol 1e-3 / atol 1e-5 (NaN equals NaN), integers and bools exact.

Outcomes: pass, wrong (ran, mismatched), unsupported (an op pippyc or the CPU backend does not
have), error (any other compile or run failure), skip (out of scope; the reason is recorded).

  run.py                         every suite, 2 workers, prints the tables
  run.py --filter 'softmax'      tests whose suite/name matches a regex
  run.py --check                 CI: the tests in passing.txt must still pass (exit 1 if not)
  run.py --write-readme --write-passing   regenerate README.md and passing.txt

Suites: node, pytorch-converted, pytorch-operator, simple (Debian's libonnx-testdata, or
$PIPPY_TESTDATA), onnx-pip-node (the node tests of the onnx Python package, where it ships
them; names already in "node" are left out). Binaries: --bin or $PIPPY_BIN (default build/bin).
Only a test tool: pippyc itself never needs Python.
"""
import argparse
import collections
import concurrent.futures as cf
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PASSING = os.path.join(HERE, "passing.txt")
README = os.path.join(HERE, "README.md")
DATA = os.environ.get("PIPPY_TESTDATA", "/usr/share/libonnx-testdata/data")
RTOL, ATOL = 1e-3, 1e-5
OUTCOMES = ("pass", "wrong", "unsupported", "error", "skip")

RANDOM_OPS = {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
              "Bernoulli", "Multinomial"}
TRAINING_OPS = {"Adam", "Adagrad", "Momentum", "Gradient"}
# ops that make or take sequence values: pippyc's IR holds tensors only
SEQUENCE_OPS = {"SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceAt",
                "SequenceErase", "SequenceLength", "SequenceMap", "SplitToSequence",
                "ConcatFromSequence", "Optional", "OptionalHasElement", "OptionalGetElement"}
DEFAULT_DOMAINS = {"", "ai.onnx"}
# ops that say little about what a multi-node test is testing
TRIVIAL_OPS = {"Constant", "Identity", "Cast", "CastLike", "Reshape", "Shape", "Unsqueeze",
               "Squeeze", "Concat", "Gather", "Slice", "ConstantOfShape", "Size", "Flatten",
               "Transpose", "Expand", "Range"}


# ---- the tests ----

def pip_node_dir():
    d = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    return d if os.path.isdir(d) else None


def collect():
    """[(suite, name, dir)] in suite order; onnx-pip-node leaves out names seen in node."""
    tests, seen = [], set()
    for suite in ("node", "pytorch-converted", "pytorch-operator", "simple"):
        for d in sorted(glob.glob(os.path.join(DATA, suite, "*", "model.onnx"))):
            d = os.path.dirname(d)
            tests.append((suite, os.path.basename(d), d))
            if suite == "node":
                seen.add(os.path.basename(d))
    pd = pip_node_dir()
    if pd:
        for d in sorted(glob.glob(os.path.join(pd, "*", "model.onnx"))):
            d = os.path.dirname(d)
            if os.path.basename(d) not in seen:
                tests.append(("onnx-pip-node", os.path.basename(d), d))
    return tests


def all_nodes(graph):
    """Every node of the graph and of its subgraphs (If/Loop/Scan bodies)."""
    for n in graph.node:
        yield n
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield from all_nodes(g)


def type_kind(t):
    """'tensor', 'sequence', 'map', 'optional', 'sparse' or '' for a TypeProto."""
    k = t.WhichOneof("value")
    return {"tensor_type": "tensor", "sequence_type": "sequence", "map_type": "map",
            "optional_type": "optional", "sparse_tensor_type": "sparse_tensor"}.get(k, k or "")


def has_string(graph):
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        if type_kind(vi.type) == "tensor" and vi.type.tensor_type.elem_type == TensorProto.STRING:
            return True
    for t in graph.initializer:
        if t.data_type == TensorProto.STRING:
            return True
    for n in all_nodes(graph):
        for a in n.attribute:
            if a.type in (onnx.AttributeProto.STRINGS,) and n.op_type == "Constant":
                return True
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.STRING:
                return True
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.STRING:
                return True
    return False


def out_of_scope(model):
    """The reason a model is out of scope, or None."""
    g = model.graph
    for vi in list(g.input) + list(g.output):
        k = type_kind(vi.type)
        if k != "tensor":
            return f"{k} type in the graph's inputs/outputs"
    if has_string(g):
        return "string tensors"
    local = {(f.domain, f.name) for f in model.functions}
    for n in all_nodes(g):
        if n.domain not in DEFAULT_DOMAINS and (n.domain, n.op_type) not in local:
            return f"op from domain {n.domain} ({n.op_type})"
        if n.op_type in RANDOM_OPS:
            return f"random op {n.op_type} (outputs not comparable)"
        if n.op_type in SEQUENCE_OPS:
            return f"sequence/optional values inside the graph ({n.op_type})"
        if n.op_type in TRAINING_OPS:
            return f"training op {n.op_type}"
        if n.op_type == "Dropout" and len(n.input) > 2 and n.input[2]:
            return "Dropout in training mode (random mask)"
        if n.op_type == "BatchNormalization" and any(
                a.name == "training_mode" and a.i for a in n.attribute):
            return "BatchNormalization in training mode (training op)"
    return None


def main_op(model, suite):
    ops = [n.op_type for n in model.graph.node]
    if len(ops) == 1:
        return ops[0]
    if not ops:
        return "(none)"
    c = collections.Counter(o for o in ops if o not in TRIVIAL_OPS) or collections.Counter(ops)
    best = max(c.values())
    return next(o for o in ops if c.get(o) == best)   # first of the most frequent


def read_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def shape_arg(dims):
    return "x".join(str(d) for d in dims) if len(dims) else "scalar"


# ---- comparing ----

def to_float_array(t, elem_type):
    """The values of t as a numpy array; bfloat16 stored as uint16 bits (old test data) decoded."""
    if elem_type == TensorProto.BFLOAT16 and t.data_type in (TensorProto.UINT16, TensorProto.BFLOAT16):
        if t.raw_data:
            bits = np.frombuffer(t.raw_data, dtype="<u2")
        else:
            bits = np.array(t.int32_data, dtype=np.uint32).astype(np.uint16)
        return (bits.astype(np.uint32) << 16).view(np.float32).reshape(tuple(t.dims))
    return numpy_helper.to_array(t)


FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
for _n in ("FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT4E2M1", "FLOAT8E8M0"):
    if hasattr(TensorProto, _n):
        FLOAT_TYPES.add(getattr(TensorProto, _n))


def dtype_name(dt):
    try:
        return TensorProto.DataType.Name(dt)
    except ValueError:
        return str(dt)


def compare(ref, got, model_type):
    """None when got matches ref, else a short description of the difference."""
    rtype = ref.data_type
    if model_type == TensorProto.BFLOAT16 and rtype == TensorProto.UINT16:
        rtype = TensorProto.BFLOAT16   # old test data writes bfloat16 as uint16
    if got.data_type != rtype:
        return f"dtype {dtype_name(got.data_type)}, expected {dtype_name(rtype)}"
    if list(got.dims) != list(ref.dims):
        return f"shape {list(got.dims)}, expected {list(ref.dims)}"
    a = to_float_array(ref, rtype)
    b = to_float_array(got, rtype)
    if a.size == 0:
        return None
    if rtype in FLOAT_TYPES:
        a = a.astype(np.float64)
        b = b.astype(np.float64)
        both_nan = np.isnan(a) & np.isnan(b)
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.where(a == b, 0.0, np.abs(a - b))
            err = np.where(both_nan, 0.0, err)
            ok = (err <= ATOL + RTOL * np.abs(a)) | both_nan
        if ok.all():
            return None
        if (np.isnan(a) != np.isnan(b)).any():
            i = int(np.argmax(np.isnan(a) != np.isnan(b)))
            return f"NaN mismatch at flat index {i}: got {b.flat[i]!r}, expected {a.flat[i]!r}"
        fin = err[np.isfinite(err)]
        mx = float(fin.max()) if fin.size else float("inf")
        i = int(np.argmax(~ok))
        return (f"max abs error {mx:.3g} ({int((~ok).sum())}/{ok.size} values off; "
                f"first at {i}: got {b.flat[i]:.6g}, expected {a.flat[i]:.6g})")
    if a.dtype.kind in "iub" or a.dtype.kind == "V" or str(a.dtype).startswith(("int", "uint")):
        try:
            a64, b64 = a.astype(np.int64), b.astype(np.int64)
        except (TypeError, ValueError):
            a64, b64 = a, b
    else:
        a64, b64 = a, b
    bad = a64 != b64
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    diff = ""
    if a64.dtype.kind in "iu":
        diff = f"max abs error {int(np.abs(a64.astype(np.float64) - b64.astype(np.float64)).max())}, "
    return f"{diff}{int(bad.sum())}/{bad.size} values differ; first at {i}: got {b64.flat[i]}, expected {a64.flat[i]}"


# ---- running one test ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_error(text):
    """The most telling line of a failure's output."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "unsupported op" in l or "no CPU kernel" in l:
            return l
    # pippyc's summary line ("pippyc: MODEL: 2 errors") says less than the lines after it
    lines = [l for l in lines if not re.match(r"pippyc: .*: \d+ errors?$", l)]
    for i, l in enumerate(lines):
        if re.search(r"\berror\b|failed|fatal|abort|assert", l, re.I):
            # a compiler failure: add the compiler's first error line
            if " failed; see " in l:
                for m in lines[i + 1:]:
                    if "error" in m:
                        return l.split(" failed; see ")[0] + " failed: " + m
            return l
    return lines[0] if lines else "(no output)"


def classify_failure(text):
    return "unsupported" if ("unsupported op" in text or "no CPU kernel" in text) else "error"


def run_test(t, args):
    suite, name, d = t
    r = {"suite": suite, "name": name, "id": f"{suite}/{name}", "op": "?", "outcome": "error",
         "detail": "", "seconds": 0.0}
    t0 = time.time()
    try:
        _run_test(r, d, args)
    except Exception as e:  # a broken test file, an unreadable output: still one row
        r["outcome"], r["detail"] = "error", f"runner: {type(e).__name__}: {e}"
    r["seconds"] = round(time.time() - t0, 2)
    return r


def _run_test(r, d, args):
    model = onnx.load(os.path.join(d, "model.onnx"), load_external_data=False)
    r["op"] = main_op(model, r["suite"])
    sib = os.path.join(os.path.dirname(d), r["name"][:-len("_expanded")], "model.onnx")
    if r["name"].endswith("_expanded") and os.path.exists(sib):
        # a function op's expansion counts for the op it expands
        r["op"] = main_op(onnx.load(sib, load_external_data=False), r["suite"])
    why = out_of_scope(model)
    if why:
        r["outcome"], r["detail"] = "skip", why
        return
    ds = os.path.join(d, "test_data_set_0")
    in_files = sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                      key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
    out_files = sorted(glob.glob(os.path.join(ds, "output_*.pb")),
                       key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    gin_types = {i.name: i.type.tensor_type.elem_type for i in graph_inputs}
    out_types = [o.type.tensor_type.elem_type for o in model.graph.output]

    tmp = tempfile.mkdtemp(prefix="pippyconf_", dir=args.tmp)
    try:
        # inputs: by the .pb's name where it names a graph input, else in graph-input order
        feeds = []
        for i, f in enumerate(in_files):
            pb = read_pb(f)
            nm = pb.name if pb.name in gin_types else (graph_inputs[i].name if i < len(graph_inputs) else None)
            if nm is None:
                r["outcome"], r["detail"] = "error", f"runner: {os.path.basename(f)} matches no graph input"
                return
            if gin_types.get(nm) == TensorProto.BFLOAT16 and pb.data_type == TensorProto.UINT16:
                pb.data_type = TensorProto.BFLOAT16   # old test data writes bfloat16 as uint16
                f = os.path.join(tmp, f"input_{i}.pb")
                with open(f, "wb") as fh:
                    fh.write(pb.SerializeToString())
            decl = next(i for i in graph_inputs if i.name == nm).type.tensor_type
            if decl.HasField("shape") and all(d.HasField("dim_value") for d in decl.shape.dim):
                want = [d.dim_value for d in decl.shape.dim]
                if want != list(pb.dims):
                    r["outcome"] = "skip"
                    r["detail"] = (f"test data disagrees with the model: input '{nm}' is "
                                   f"{list(pb.dims)} in {os.path.basename(f)}, {want} in the model")
                    return
            feeds.append((nm, list(pb.dims), f))
        outdir = os.path.join(tmp, "prog")
        mpath = os.path.join(d, "model.onnx")
        ver = max((o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS), default=0)
        if args.upgrade_opset and ver < args.upgrade_opset:
            # diagnostic only: what would pass if the frontend took old opsets
            from onnx import version_converter
            mpath = os.path.join(tmp, "model.onnx")
            onnx.save(version_converter.convert_version(model, args.upgrade_opset), mpath)
            r["upgraded"] = f"{ver}->{args.upgrade_opset}"
        cmd = [os.path.join(args.bin, "pippyc"), mpath, "--ranks", "1",
               "--threads", "1"]
        for nm, dims, _ in feeds:
            cmd += ["--input-shape", f"{nm}={shape_arg(dims)}"]
        cmd += ["-o", outdir]
        env = dict(os.environ)
        if args.cc:
            env["CC"] = args.cc
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                               timeout=args.timeout, env=env)
        except subprocess.TimeoutExpired:
            r["outcome"], r["detail"] = "error", f"pippyc timed out after {args.timeout} s"
            return
        if p.returncode != 0:
            text = p.stderr + "\n" + p.stdout
            r["outcome"] = classify_failure(text)
            sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
            r["detail"] = ("pippyc crashed" + sig + ": " if p.returncode < 0 or p.returncode > 2 else "") \
                + first_error(text)
            return
        res = os.path.join(tmp, "out")
        env.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", LOCAL_WORLD_SIZE="1", GROUP_RANK="0",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
        rcmd = [os.path.join(outdir, "rank_0"), "--quiet", "--threads", "1",
                "--timeout", str(args.timeout)]
        for nm, _, f in feeds:
            rcmd += ["--input", f"{nm}={f}"]
        rcmd += ["--output-dir", res]
        try:
            p = subprocess.run(rcmd, capture_output=True, text=True, errors="replace",
                               timeout=args.timeout, env=env)
        except subprocess.TimeoutExpired:
            r["outcome"], r["detail"] = "error", f"rank_0 timed out after {args.timeout} s"
            return
        if p.returncode != 0:
            text = p.stderr + "\n" + p.stdout
            r["outcome"] = classify_failure(text)
            sig = f"rank_0 crashed (signal {-p.returncode}): " if p.returncode < 0 else "rank_0: "
            r["detail"] = sig + first_error(text)
            return
        # outputs
        problems = []
        for i, f in enumerate(out_files):
            got = os.path.join(res, os.path.basename(f))
            if not os.path.exists(got):
                r["outcome"], r["detail"] = "error", f"rank_0 wrote no {os.path.basename(f)}"
                return
            mt = out_types[i] if i < len(out_types) else 0
            diff = compare(read_pb(f), read_pb(got), mt)
            if diff:
                problems.append(f"output {i}: {diff}")
        if problems:
            r["outcome"], r["detail"] = "wrong", "; ".join(problems)
        else:
            r["outcome"] = "pass"
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            r["dir"] = tmp


# ---- reporting ----

def cause(r):
    """A short key that groups failures of one cause."""
    d = r["detail"]
    m = re.search(r"unsupported op '([^']*)'", d)
    if m:
        return f"unsupported op '{m.group(1)}'"
    m = re.search(r"\((\w+)\): no CPU kernel for it: (.*)", d)
    if m and re.search(r"dtypes? .* not supported", m.group(2)):
        return f"no CPU kernel for the dtype: {m.group(1)}"
    if m:
        return f"no CPU kernel: {m.group(1)}: " + m.group(2)[:100]
    if r["outcome"] == "wrong":
        kinds = set(re.findall(r"(dtype|shape|max abs error|NaN mismatch|values differ)", d))
        return f"wrong {r['op']}: " + ", ".join(sorted(kinds))
    s = re.sub(r"'[^']*'", "'…'", d)
    s = re.sub(r"\b\d+(\.\d+)?\b", "N", s)
    s = re.sub(r"/tmp/\S+", "PATH", s)
    return s[:110]


def tables(results, by_op_limit=None):
    out = []
    suites = list(dict.fromkeys(r["suite"] for r in results))
    head = f"| {'suite':<18} | " + " | ".join(f"{o:>11}" for o in OUTCOMES) + " | total |"
    out += [head, "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"]
    tot = collections.Counter()
    for s in suites:
        c = collections.Counter(r["outcome"] for r in results if r["suite"] == s)
        tot.update(c)
        out.append(f"| {s:<18} | " + " | ".join(f"{c[o]:>11}" for o in OUTCOMES)
                   + f" | {sum(c.values()):>5} |")
    out.append(f"| {'all':<18} | " + " | ".join(f"{tot[o]:>11}" for o in OUTCOMES)
               + f" | {sum(tot.values()):>5} |")
    node = [r for r in results if r["suite"] in ("node", "onnx-pip-node") and r["outcome"] != "skip"]
    if node:
        p = sum(r["outcome"] == "pass" for r in node)
        out.append("")
        out.append(f"In-scope node tests: {p}/{len(node)} pass ({100.0 * p / len(node):.1f}%).")
    inscope = [r for r in results if r["outcome"] != "skip"]
    if inscope:
        p = sum(r["outcome"] == "pass" for r in inscope)
        out.append(f"All in-scope tests: {p}/{len(inscope)} pass ({100.0 * p / len(inscope):.1f}%).")
    return "\n".join(out)


def op_table(results):
    ops = collections.defaultdict(collections.Counter)
    for r in results:
        ops[r["op"]][r["outcome"]] += 1
    w = {o: max(6, len(o)) for o in OUTCOMES}
    head = f"| {'op':<28} | " + " | ".join(f"{o:>{w[o]}}" for o in OUTCOMES) + " |"
    out = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    for op in sorted(ops, key=str.lower):
        c = ops[op]
        out.append(f"| {op:<28} | " + " | ".join(f"{c[o] if c[o] else '':>{w[o]}}" for o in OUTCOMES) + " |")
    return "\n".join(out)


def cause_table(results, examples=3):
    bad = [r for r in results if r["outcome"] in ("wrong", "unsupported", "error")]
    groups = collections.defaultdict(list)
    for r in bad:
        groups[(r["outcome"], cause(r))].append(r)
    out = []
    for (oc, c), rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        ex = ", ".join(x["name"] for x in rs[:examples]) + (", …" if len(rs) > examples else "")
        out.append(f"- {len(rs)} × {oc}: {c} — e.g. {ex}")
    return "\n".join(out)


def skip_table(results):
    groups = collections.defaultdict(list)
    for r in results:
        if r["outcome"] == "skip":
            groups[r["detail"]].append(r["id"])
    out = []
    for why, ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out.append(f"- **{why}** ({len(ids)}): " + ", ".join(sorted(ids)))
    return "\n".join(out)


def write_readme(results, elapsed, jobs):
    text = f"""# Conformance: the ONNX backend tests

`run.py` compiles every test model of the ONNX backend test data with `pippyc --ranks 1`
(the input shapes taken from the test's `input_*.pb`), runs `rank_0` on the inputs and compares
each `output_<i>.pb` with the reference shipped with the test data: shapes and dtypes exact;
floating point within rtol {RTOL:g}, atol {ATOL:g} (NaN equals NaN); integers and bools exact.

Outcomes: **pass**; **wrong** (ran, but an output differs: max abs error or the shape/dtype
difference is recorded); **unsupported** (pippyc reports an unsupported op, or codegen has no
CPU kernel for a node); **error** (any other compile or run failure, a crash or a timeout);
**skip** (out of scope, with the reason below).

## How to run

```sh
python3 tests/conformance/run.py                      # all suites, 2 workers, tables on stdout
python3 tests/conformance/run.py --filter softmax -v  # regex on suite/name, a line per test
python3 tests/conformance/run.py --suite node --jobs 2 --results /tmp/conf.json
python3 tests/conformance/run.py --check              # CI: everything in passing.txt must pass
python3 tests/conformance/run.py --write-readme --write-passing   # regenerate this file
```

Binaries come from `--bin` or `$PIPPY_BIN` (default `build/bin`); the test data from
`$PIPPY_TESTDATA` (default `/usr/share/libonnx-testdata/data`, Debian's libonnx-testdata
1.12). The node tests of the onnx Python package are a separate suite, `onnx-pip-node`, when
the installed wheel ships them (names already in `node` left out). Only `test_data_set_0` of
each test is run. `passing.txt` lists the tests that pass (`suite/name`); `--check` runs just
those and fails if any of them no longer passes: that is the CTest test
`tests/scripts/test_conformance.sh`.

## Results

Generated by `run.py --write-readme` ({len(results)} tests, {elapsed:.0f} s with {jobs} workers;
onnx {onnx.__version__}{"" if pip_node_dir() else ", whose wheel ships no node test data, so no onnx-pip-node suite"}).

{tables(results)}

### Failures by cause

{cause_table(results, examples=4)}

### By op

The op of a test is the op of its single node, or the most frequent op of a larger graph
(leaving out shape plumbing such as Reshape, Cast, Constant).

{op_table(results)}

## Out of scope

Decided from the model (nodes of subgraphs included), not from the test's name:
string tensors; sequence, map, optional or sparse types among the graph's inputs/outputs;
ops from non-default domains (ai.onnx.ml, ai.onnx.preview.training, ...); random ops (RandomNormal*,
RandomUniform*, Bernoulli, Multinomial: outputs are not comparable); training ops (Adam,
Adagrad, Momentum, Gradient), Dropout with a training_mode input (a random mask) and
BatchNormalization with training_mode=1 (pippyc compiles for inference).

{skip_table(results)}
"""
    with open(README, "w") as f:
        f.write(text)


# ---- main ----

def default_cc():
    cc = os.environ.get("CC") or "cc"
    if shutil.which("ld.lld") and subprocess.run(
            f"echo 'int main(void){{return 0;}}' | {cc} -fuse-ld=lld -x c - -o /dev/null",
            shell=True, capture_output=True).returncode == 0:
        return f"{cc} -fuse-ld=lld"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("PIPPY_BIN", os.path.join(ROOT, "build", "bin")))
    ap.add_argument("--filter", help="regex on suite/name")
    ap.add_argument("--suite", action="append", help="only this suite (repeatable)")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=60, help="seconds per compile and per run")
    ap.add_argument("--list-file", help="only the tests named in FILE (suite/name per line)")
    ap.add_argument("--check", action="store_true",
                    help="run the tests in passing.txt; exit 1 if any does not pass")
    ap.add_argument("--all", action="store_true",
                    help="with --check: run every test, but fail only on passing.txt's")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--write-passing", action="store_true")
    ap.add_argument("--results", help="write every test's result as JSON to FILE")
    ap.add_argument("--cc", default=os.environ.get("PIPPY_CONF_CC", default_cc()),
                    help="CC for pippyc's stage builds (default: $PIPPY_CONF_CC, else "
                    "'cc -fuse-ld=lld' where lld is installed: linking is most of a stage "
                    "build and lld links in a quarter of the time)")
    ap.add_argument("--upgrade-opset", type=int, default=0, metavar="V",
                    help="diagnostic: convert models older than opset V with "
                    "onnx.version_converter before compiling (not for CI or the README)")
    ap.add_argument("--tmp", default=None, help="folder for the per-test work dirs")
    ap.add_argument("--keep", action="store_true", help="keep each test's work dir")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)

    if not os.access(os.path.join(args.bin, "pippyc"), os.X_OK):
        print(f"no pippyc in {args.bin} (build first, or set --bin / PIPPY_BIN)")
        return 1
    tests = collect()
    if not tests:
        print(f"no test data under {DATA} (install libonnx-testdata)")
        return 1
    must = None
    if args.check:
        with open(PASSING) as f:
            must = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        known = {f"{s}/{n}" for s, n, _ in tests}
        missing = sorted(must - known)
        if missing:
            print(f"passing.txt names {len(missing)} tests not in the test data, e.g. {missing[:3]}")
            return 1
        if not args.all:
            tests = [t for t in tests if f"{t[0]}/{t[1]}" in must]
    if args.list_file:
        with open(args.list_file) as f:
            want = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        tests = [t for t in tests if f"{t[0]}/{t[1]}" in want]
    if args.suite:
        tests = [t for t in tests if t[0] in args.suite]
    if args.filter:
        rx = re.compile(args.filter)
        tests = [t for t in tests if rx.search(f"{t[0]}/{t[1]}")]

    t0 = time.time()
    results, lock, done = [], threading.Lock(), [0]
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(run_test, t, args) for t in tests]
        for fu in cf.as_completed(futs):
            r = fu.result()
            with lock:
                results.append(r)
                done[0] += 1
                if args.verbose:
                    print(f"[{done[0]}/{len(tests)}] {r['outcome']:<11} {r['id']} ({r['op']}, "
                          f"{r['seconds']} s){': ' + r['detail'] if r['detail'] else ''}", flush=True)
                elif done[0] % 100 == 0:
                    print(f"... {done[0]}/{len(tests)} ({time.time() - t0:.0f} s)", file=sys.stderr,
                          flush=True)
    elapsed = time.time() - t0
    order = {f"{s}/{n}": i for i, (s, n, _) in enumerate(tests)}
    results.sort(key=lambda r: order[r["id"]])

    if args.results:
        with open(args.results, "w") as f:
            json.dump(results, f, indent=1)
    print(tables(results))
    if not args.check:
        print()
        print(op_table(results))
        print()
        print("Failures by cause:")
        print(cause_table(results))
    print(f"\n{len(results)} tests in {elapsed:.1f} s with {args.jobs} workers")
    if args.write_readme:
        write_readme(results, elapsed, args.jobs)
        print(f"wrote {README}")
    if args.write_passing:
        with open(PASSING, "w") as f:
            for r in sorted(results, key=lambda r: r["id"]):
                if r["outcome"] == "pass":
                    f.write(r["id"] + "\n")
        print(f"wrote {PASSING}")
    if must is not None:
        regress = [r for r in results if r["id"] in must and r["outcome"] != "pass"]
        new = [r for r in results if r["id"] not in must and r["outcome"] == "pass"]
        if new:
            print(f"{len(new)} tests pass that passing.txt does not list (run with --write-passing), "
                  f"e.g. {', '.join(r['id'] for r in new[:5])}")
        if regress:
            print(f"FAIL: {len(regress)} tests of passing.txt no longer pass:")
            for r in regress:
                print(f"  {r['id']}: {r['outcome']}: {r['detail']}")
            return 1
        ran = sum(r["id"] in must for r in results)
        print(f"ok: all {ran} tests of passing.txt that ran pass" if ran != len(must)
              else f"ok: all {len(must)} tests of passing.txt pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
