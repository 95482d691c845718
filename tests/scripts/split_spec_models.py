#!/usr/bin/env python3
"""Small ONNX models for test_split_spec.sh, their inputs and full-batch references.

  split_spec_models.py make DIR       one folder per model: model.onnx, <input>.npy and
                                      ref/<output>.npy (the whole batch, one run)
  split_spec_models.py compare REF OUT  every REF/*.npy against OUT/<same name>: shape, dtype,
                                      values (rtol 1e-4, atol 1e-5, NaN-safe); one line, exit 1
                                      on a mismatch

Every dim of every input is symbolic, so pippyc may cut any of them. The references come from
onnxruntime when it is installed, else from the numpy formulas beside each model (the two
agree: `make` checks them against each other when both are there)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def sym_input(name, rank, dtype=F):
    return helper.make_tensor_value_info(name, dtype, [f"{name}_d{i}" for i in range(rank)])


def out(name):
    return helper.make_tensor_value_info(name, F, None)


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def model(nodes, inputs, outputs, inits):
    g = helper.make_graph(nodes, "split_spec", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


rng = np.random.default_rng(8)


def rnd(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---- the models: (onnx model, inputs, numpy reference) ----

def m_elementwise():
    """y = tanh(x) * x + 1.5; t = Transpose(exp(-x), perm [2,0,1]): the cut axis moves."""
    x = rnd(4, 8, 12)
    nodes = [
        helper.make_node("Tanh", ["x"], ["th"]),
        helper.make_node("Mul", ["th", "x"], ["m"]),
        helper.make_node("Add", ["m", "c15"], ["y"]),
        helper.make_node("Neg", ["x"], ["nx"]),
        helper.make_node("Exp", ["nx"], ["ex"]),
        helper.make_node("Transpose", ["ex"], ["t"], perm=[2, 0, 1]),
    ]
    m = model(nodes, [sym_input("x", 3)], [out("y"), out("t")],
              [init("c15", np.float32(1.5))])
    ref = {"y": np.tanh(x) * x + np.float32(1.5), "t": np.exp(-x).transpose(2, 0, 1)}
    return m, {"x": x}, ref


def m_matmul():
    """y1 = x[B,K] @ W + b (rows), y2 = W2 @ xc[K,B] (the batch on the column side),
    y3 = x3[G,B,K] @ W (a batched MatMul)."""
    x, xc, x3 = rnd(4, 8), rnd(8, 4), rnd(4, 8, 8)
    W, b, W2 = rnd(8, 6), rnd(6), rnd(5, 8)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"], name="x_at_W"),
        helper.make_node("Add", ["xw", "b"], ["y1"]),
        helper.make_node("MatMul", ["W2", "xc"], ["y2"], name="W2_at_xc"),
        helper.make_node("MatMul", ["x3", "W"], ["y3"], name="x3_at_W"),
    ]
    m = model(nodes, [sym_input("x", 2), sym_input("xc", 2), sym_input("x3", 3)],
              [out("y1"), out("y2"), out("y3")], [init("W", W), init("b", b), init("W2", W2)])
    ref = {"y1": x @ W + b, "y2": W2 @ xc, "y3": x3 @ W}
    return m, {"x": x, "xc": xc, "x3": x3}, ref


def m_dot():
    """y = a[M,K] @ b[K,N], both inputs: cut together along K the shapes still agree, and
    only the analysis can tell that the sum over K needs every microbatch."""
    a, b = rnd(4, 8), rnd(8, 12)
    nodes = [helper.make_node("Relu", ["a"], ["ra"]),
             helper.make_node("MatMul", ["ra", "b"], ["y"], name="a_at_b")]
    m = model(nodes, [sym_input("a", 2), sym_input("b", 2)], [out("y")], [])
    return m, {"a": a, "b": b}, {"y": np.maximum(a, 0) @ b}


def attention_nodes(x, heads_shape, perm_in, perm_k, perm_out, merged_shape):
    """Q=xWq, K=xWk, V=xWv; heads by Reshape/Transpose; Softmax(QK^T/sqrt(d)) V; merged back
    and projected (Wo). heads_shape/merged_shape name the Reshape targets."""
    return [
        helper.make_node("MatMul", [x, "Wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", [x, "Wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", [x, "Wv"], ["v"], name="v_proj"),
        helper.make_node("Reshape", ["q", heads_shape], ["qh"], name="q_heads"),
        helper.make_node("Reshape", ["k", heads_shape], ["kh"], name="k_heads"),
        helper.make_node("Reshape", ["v", heads_shape], ["vh"], name="v_heads"),
        helper.make_node("Transpose", ["qh"], ["qt"], perm=perm_in),
        helper.make_node("Transpose", ["kh"], ["kt"], perm=perm_k),
        helper.make_node("Transpose", ["vh"], ["vt"], perm=perm_in),
        helper.make_node("MatMul", ["qt", "kt"], ["s"], name="qk"),
        helper.make_node("Mul", ["s", "scale"], ["ss"]),
        helper.make_node("Softmax", ["ss"], ["p"], axis=-1, name="softmax"),
        helper.make_node("MatMul", ["p", "vt"], ["ctx"], name="pv"),
        helper.make_node("Transpose", ["ctx"], ["ct"], perm=perm_out),
        helper.make_node("Reshape", ["ct", merged_shape], ["cm"], name="merge_heads"),
        helper.make_node("MatMul", ["cm", "Wo"], ["y"], name="o_proj"),
    ]


H, DH, D = 2, 8, 16


def attn_weights():
    return {n: rnd(D, D) * 0.3 for n in ("Wq", "Wk", "Wv", "Wo")}


def attn_ref(xb, w):
    """xb: [B, S, D] -> [B, S, D]"""
    B, S, _ = xb.shape
    def heads(t):
        return t.reshape(B, S, H, DH).transpose(0, 2, 1, 3)
    q, k, v = heads(xb @ w["Wq"]), heads(xb @ w["Wk"]), heads(xb @ w["Wv"])
    p = softmax(q @ k.transpose(0, 1, 3, 2) * np.float32(1 / np.sqrt(DH)), -1)
    return (p @ v).transpose(0, 2, 1, 3).reshape(B, S, D) @ w["Wo"]


def m_attention():
    """x [B, S, D], batch first; heads by Reshape(0, 0, H, DH), merged by Reshape(0, 0, -1)."""
    x, w = rnd(4, 8, D), attn_weights()
    nodes = attention_nodes("x", "hshape", [0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3], "mshape")
    inits = [init(k, v) for k, v in w.items()] + [
        init("hshape", np.array([0, 0, H, DH], np.int64)),
        init("mshape", np.array([0, 0, -1], np.int64)),
        init("scale", np.float32(1 / np.sqrt(DH)))]
    m = model(nodes, [sym_input("x", 3)], [out("y")], inits)
    return m, {"x": x}, {"y": attn_ref(x, w)}


def m_attention_seq_first():
    """x [S, B, D] (torch's nn.MultiheadAttention layout): the batch is dim 1. The Reshape
    targets come from Shape(x) (as a dynamic export writes them), folded by pippyc."""
    x, w = rnd(8, 4, D), attn_weights()
    nodes = [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Slice", ["xs", "i0", "i2"], ["sb"]),
        helper.make_node("Concat", ["sb", "hd"], ["hshape"], axis=0),
        helper.make_node("Concat", ["sb", "dd"], ["mshape"], axis=0),
    ] + attention_nodes("x", "hshape", [1, 2, 0, 3], [1, 2, 3, 0], [2, 0, 1, 3], "mshape")
    inits = [init(k, v) for k, v in w.items()] + [
        init("i0", np.array([0], np.int64)), init("i2", np.array([2], np.int64)),
        init("hd", np.array([H, DH], np.int64)), init("dd", np.array([D], np.int64)),
        init("scale", np.float32(1 / np.sqrt(DH)))]
    m = model(nodes, [sym_input("x", 3)], [out("y")], inits)
    return m, {"x": x}, {"y": attn_ref(x.transpose(1, 0, 2), w).transpose(1, 0, 2)}


def m_softmax():
    """y = Softmax(Relu(x), axis 1): fine cut along 0, mixes microbatches cut along 1."""
    x = rnd(4, 8)
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Softmax", ["r"], ["y"], axis=1, name="softmax")]
    m = model(nodes, [sym_input("x", 2)], [out("y")], [])
    return m, {"x": x}, {"y": softmax(np.maximum(x, 0), 1)}


def m_reduce():
    """y = ReduceMean(Abs(x), axes [0], keepdims): fine cut along 1 (y [1, n] joins along 1),
    mixes microbatches cut along 0."""
    x = rnd(4, 8)
    nodes = [helper.make_node("Abs", ["x"], ["a"]),
             helper.make_node("ReduceMean", ["a"], ["y"], axes=[0], keepdims=1, name="mean")]
    m = model(nodes, [sym_input("x", 2)], [out("y")], [])
    return m, {"x": x}, {"y": np.abs(x).mean(axis=0, keepdims=True)}


def m_gather_row():
    """y = x + Gather(r, zeros[B]): the replicated row r broadcast to the batch through a
    Gather (indices folded from Shape(x)). The analysis cannot show Gather's result repeats
    along the cut axis, so pippyc asks for --output-split-spec y=0 (which is right)."""
    x, r = rnd(4, 6), rnd(1, 6)
    nodes = [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Slice", ["xs", "i0", "i1"], ["b"]),
        helper.make_node("ConstantOfShape", ["b"], ["idx"],
                         value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Gather", ["r", "idx"], ["g"], axis=0, name="rows"),
        helper.make_node("Add", ["x", "g"], ["y"], name="add"),
    ]
    m = model(nodes, [sym_input("x", 2), sym_input("r", 2)], [out("y")],
              [init("i0", np.array([0], np.int64)), init("i1", np.array([1], np.int64))])
    return m, {"x": x, "r": r}, {"y": x + r[np.zeros(4, np.int64)]}


MODELS = {
    "elementwise": m_elementwise,
    "matmul": m_matmul,
    "dot": m_dot,
    "attention": m_attention,
    "attention_sf": m_attention_seq_first,
    "softmax": m_softmax,
    "reduce": m_reduce,
    "gather_row": m_gather_row,
}


def run_ort(path, inputs):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, inputs)))


def close(a, b, rtol=1e-4, atol=1e-5):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return bool(np.all(np.abs(a64 - b64) <= atol + rtol * np.abs(a64)))  # NaN: False


def make(outdir):
    src = "numpy"
    for name, fn in MODELS.items():
        d = os.path.join(outdir, name)
        os.makedirs(os.path.join(d, "ref"), exist_ok=True)
        m, inputs, ref = fn()
        path = os.path.join(d, "model.onnx")
        onnx.save(m, path)
        for k, v in inputs.items():
            np.save(os.path.join(d, k + ".npy"), v)
        got = run_ort(path, inputs)
        if got is not None:
            src = "onnxruntime"
            for k, v in ref.items():  # the generator's own check of its formulas
                if got[k].shape != v.shape or not close(got[k], v):
                    print(f"{name}: numpy reference for {k} disagrees with onnxruntime")
                    return 1
            ref = got
        for k, v in ref.items():
            np.save(os.path.join(d, "ref", k + ".npy"), np.asarray(v, np.float32))
    print(f"made {len(MODELS)} models in {outdir} (references from {src})")
    return 0


def compare(ref_dir, out_dir):
    worst, n = 0.0, 0
    for f in sorted(os.listdir(ref_dir)):
        if not f.endswith(".npy"):
            continue
        a = np.load(os.path.join(ref_dir, f))
        p = os.path.join(out_dir, f)
        if not os.path.exists(p):
            print(f"missing {p}")
            return 1
        b = np.load(p)
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"{f}: expected {a.dtype}{list(a.shape)}, got {b.dtype}{list(b.shape)}")
            return 1
        err = np.abs(a.astype(np.float64) - b.astype(np.float64))
        if not close(a, b):
            bad = int(np.sum(~(err <= 1e-5 + 1e-4 * np.abs(a))))
            print(f"{f}: {bad} of {a.size} values differ (max abs err {np.nanmax(err):.3g})")
            return 1
        worst = max(worst, float(err.max()) if err.size else 0.0)
        n += 1
    if not n:
        print(f"no references in {ref_dir}")
        return 1
    print(f"{n} output{'s' if n > 1 else ''} match, max abs err {worst:.3g}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        sys.exit(make(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    print(__doc__)
    sys.exit(2)
