#!/usr/bin/env python3
"""Write a GPT-2-XL-SHAPED ONNX model with external data, for pippyc's size benchmarks.

    python3 bench/make_gpt2xl.py [OUT_DIR] [--layers N] [--fsync]
                                 [--d-model D --heads H --vocab V --n-ctx C]

OUT_DIR (default /tmp/gpt2xl) gets model.onnx (the graph, a few hundred KB) and
model.onnx.data (every weight, ~6.2 GB for the full 48 layers).  Shapes are GPT-2 XL's:
48 blocks, d_model 1600, 25 heads of 64, vocab 50257, n_ctx 1024, ~1.56e9 parameters,
LM head tied to the token embedding through a Transpose node.  The values are not
trained: a small random tile repeated, enough for finite, non-degenerate outputs.

The graph is built with onnx.helper, not torch (an export this size would need tens of GB
here).  Weights are streamed: each tensor's bytes go to the .data file as it is created,
and its TensorProto only records location/offset/length, so memory stays small.
Each tensor starts at a 64 KiB-aligned offset so a reader can mmap it in place.

--d-model/--heads/--vocab/--n-ctx change the shapes (defaults: GPT-2 XL's); for example
GPT-2-small-shaped (124M parameters, ~475 MiB of weights):
    python3 bench/make_gpt2xl.py /tmp/gpt2s --layers 12 --d-model 768 --heads 12
"""

import argparse
import math
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB, N_CTX, D, N_HEAD = 50257, 1024, 1600, 25
HEAD = D // N_HEAD                      # 64
ALIGN = 64 * 1024
TILE = 1000003                          # a prime, so rows of a matrix do not repeat


class DataWriter:
    """Appends tensors to one external-data file; returns their TensorProtos."""

    def __init__(self, path, seed):
        self.path = path
        self.f = open(path, "wb")
        self.off = 0
        self.phase = 0
        rng = np.random.default_rng(seed)
        t = (rng.standard_normal(TILE) * 0.02).astype(np.float32)
        self.tile = memoryview(np.concatenate([t, t]).tobytes())   # wrap-free slices
        self.nbytes = 0
        self.nparams = 0

    def _pad(self):
        pad = (-self.off) % ALIGN
        if pad:
            self.f.write(b"\0" * pad)
            self.off += pad

    def tensor(self, name, dims, fill=None):
        """fill=None: the random tile; a number: that constant everywhere."""
        n = int(np.prod(dims))
        self._pad()
        start = self.off
        if fill is None:
            left = n
            while left:
                k = min(left, TILE)
                self.f.write(self.tile[4 * self.phase: 4 * (self.phase + k)])
                self.phase = (self.phase + k) % TILE
                left -= k
        else:
            chunk = np.full(min(n, 1 << 20), fill, np.float32).tobytes()
            left = n
            while left:
                k = min(left, 1 << 20)
                self.f.write(chunk[: 4 * k])
                left -= k
        self.off += 4 * n
        self.nbytes += 4 * n
        self.nparams += n
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", os.path.basename(self.path)),
                     ("offset", str(start)), ("length", str(4 * n))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t

    def close(self, fsync):
        self.f.flush()
        if fsync:
            os.fsync(self.f.fileno())
        self.f.close()


def build(out_dir, layers, seed=0, fsync=False):
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    w = DataWriter(os.path.join(out_dir, "model.onnx.data"), seed)
    inits, nodes = [], []

    def const(name, arr):                       # small constants stay inline
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, outs, name, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=name, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def weight(name, dims, fill=None):
        inits.append(w.tensor(name, dims, fill))
        return name

    # shared small constants
    c_zero = const("const.zero_i64", np.array(0, np.int64))
    c_one = const("const.one_i64", np.array(1, np.int64))
    c_ax0 = const("const.axes_0", np.array([0], np.int64))
    c_ax1 = const("const.axes_1", np.array([1], np.int64))
    c_split = const("const.qkv_split", np.array([D, D, D], np.int64))
    c_heads = const("const.shape_heads", np.array([0, 0, N_HEAD, HEAD], np.int64))
    c_merge = const("const.shape_merge", np.array([0, 0, D], np.int64))
    c_scale = const("const.attn_scale", np.array(math.sqrt(HEAD), np.float32))
    c_neg = const("const.mask_neg", np.array(-1e9, np.float32))
    c_fzero = const("const.zero_f32", np.array(0.0, np.float32))
    c_sqrt2 = const("const.sqrt2", np.array(math.sqrt(2.0), np.float32))
    c_fone = const("const.one_f32", np.array(1.0, np.float32))
    c_half = const("const.half_f32", np.array(0.5, np.float32))

    # embeddings; positions from the input's shape (the dynamic-shape subgraph)
    wte = weight("wte.weight", [VOCAB, D])
    wpe = weight("wpe.weight", [N_CTX, D])
    shp = node("Shape", ["input_ids"], ["input_shape"], "pos/Shape")
    seq = node("Gather", [shp, c_one], ["seq_len"], "pos/Gather", axis=0)
    pos = node("Range", [c_zero, seq, c_one], ["positions"], "pos/Range")
    pos2 = node("Unsqueeze", [pos, c_ax0], ["position_ids"], "pos/Unsqueeze")
    te = node("Gather", [wte, "input_ids"], ["wte_out"], "wte/Gather", axis=0)
    pe = node("Gather", [wpe, pos2], ["wpe_out"], "wpe/Gather", axis=0)
    x = node("Add", [te, pe], ["h.in"], "embed/Add")

    # causal mask [seq, seq]: -1e9 where key position > query position, 0 elsewhere
    qi = node("Unsqueeze", [pos, c_ax1], ["mask/q_pos"], "mask/Unsqueeze_q")
    ki = node("Unsqueeze", [pos, c_ax0], ["mask/k_pos"], "mask/Unsqueeze_k")
    fut = node("Greater", [ki, qi], ["mask/future"], "mask/Greater")
    mask = node("Where", [fut, c_neg, c_fzero], ["causal_mask"], "mask/Where")

    def layer_norm(p, x):
        g = weight(p + ".weight", [D], 1.0)
        b = weight(p + ".bias", [D], 0.0)
        return node("LayerNormalization", [x, g, b], [p + "/out"], p + "/LayerNormalization",
                    axis=-1, epsilon=1e-5)

    def linear(p, x, din, dout):
        wt = weight(p + ".weight", [din, dout])
        b = weight(p + ".bias", [dout])
        y = node("MatMul", [x, wt], [p + "/MatMul_out"], p + "/MatMul")
        return node("Add", [y, b], [p + "/out"], p + "/Add")

    for i in range(layers):
        p = "h.%d" % i
        a = p + ".attn"
        h = layer_norm(p + ".ln_1", x)
        qkv = linear(a + ".c_attn", h, D, 3 * D)
        q, k, v = node("Split", [qkv, c_split], [a + "/q", a + "/k", a + "/v"],
                       a + "/Split", axis=2)
        q = node("Reshape", [q, c_heads], [a + "/q_heads"], a + "/Reshape_q")
        k = node("Reshape", [k, c_heads], [a + "/k_heads"], a + "/Reshape_k")
        v = node("Reshape", [v, c_heads], [a + "/v_heads"], a + "/Reshape_v")
        q = node("Transpose", [q], [a + "/q_t"], a + "/Transpose_q", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], [a + "/k_t"], a + "/Transpose_k", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], [a + "/v_t"], a + "/Transpose_v", perm=[0, 2, 1, 3])
        s = node("MatMul", [q, k], [a + "/scores"], a + "/MatMul_qk")
        s = node("Div", [s, c_scale], [a + "/scaled"], a + "/Div")
        s = node("Add", [s, mask], [a + "/masked"], a + "/Add_mask")
        s = node("Softmax", [s], [a + "/probs"], a + "/Softmax", axis=-1)
        y = node("MatMul", [s, v], [a + "/ctx"], a + "/MatMul_v")
        y = node("Transpose", [y], [a + "/ctx_t"], a + "/Transpose_ctx", perm=[0, 2, 1, 3])
        y = node("Reshape", [y, c_merge], [a + "/ctx_merged"], a + "/Reshape_merge")
        y = linear(a + ".c_proj", y, D, D)
        x = node("Add", [x, y], [p + "/res_attn"], p + "/Add_attn")

        m = p + ".mlp"
        h = layer_norm(p + ".ln_2", x)
        h = linear(m + ".c_fc", h, D, 4 * D)
        g = node("Div", [h, c_sqrt2], [m + "/gelu_div"], m + "/gelu/Div")
        g = node("Erf", [g], [m + "/gelu_erf"], m + "/gelu/Erf")
        g = node("Add", [g, c_fone], [m + "/gelu_add"], m + "/gelu/Add")
        g = node("Mul", [h, g], [m + "/gelu_mul"], m + "/gelu/Mul")
        g = node("Mul", [g, c_half], [m + "/gelu_out"], m + "/gelu/Mul_half")
        h = linear(m + ".c_proj", g, 4 * D, D)
        x = node("Add", [x, h], [p + "/res_mlp"], p + "/Add_mlp")

    x = layer_norm("ln_f", x)
    wte_t = node("Transpose", [wte], ["wte.weight_T"], "lm_head/Transpose_tied", perm=[1, 0])
    node("MatMul", [x, wte_t], ["logits"], "lm_head/MatMul")

    w.close(fsync)
    graph = helper.make_graph(
        nodes, "gpt2xl_shaped",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", VOCAB])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="pippyc bench/make_gpt2xl.py")
    model.ir_version = 8
    # write the proto ourselves: onnx.save would look for raw_data to move out
    with open(onnx_path, "wb") as f:
        f.write(model.SerializeToString())
    return onnx_path, w


def main():
    global VOCAB, N_CTX, D, N_HEAD, HEAD
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("out_dir", nargs="?", default="/tmp/gpt2xl")
    ap.add_argument("--layers", type=int, default=48, help="number of blocks (default 48)")
    ap.add_argument("--d-model", type=int, default=D, help="model width (default %d)" % D)
    ap.add_argument("--heads", type=int, default=N_HEAD,
                    help="attention heads; must divide --d-model (default %d)" % N_HEAD)
    ap.add_argument("--vocab", type=int, default=VOCAB, help="vocabulary (default %d)" % VOCAB)
    ap.add_argument("--n-ctx", type=int, default=N_CTX,
                    help="positions in wpe (default %d)" % N_CTX)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fsync", action="store_true", help="fsync the data file before timing stops")
    ap.add_argument("--no-check", action="store_true", help="skip onnx.checker")
    args = ap.parse_args()
    if args.d_model <= 0 or args.heads <= 0 or args.d_model % args.heads:
        ap.error("--heads must be positive and divide --d-model")
    if args.vocab <= 0 or args.n_ctx <= 0 or args.layers < 0:
        ap.error("--vocab, --n-ctx must be positive, --layers non-negative")
    VOCAB, N_CTX, D, N_HEAD = args.vocab, args.n_ctx, args.d_model, args.heads
    HEAD = D // N_HEAD

    t0 = time.time()
    path, w = build(args.out_dir, args.layers, args.seed, args.fsync)
    t1 = time.time()
    print("wrote %s (%d bytes) and %s (%d bytes)"
          % (path, os.path.getsize(path), w.path, os.path.getsize(w.path)))
    print("layers %d, params %d (%.3f B), weight bytes %d (%.2f GiB), %.1f s, %.0f MB/s"
          % (args.layers, w.nparams, w.nparams / 1e9, w.nbytes, w.nbytes / 2**30,
             t1 - t0, w.nbytes / 1e6 / max(t1 - t0, 1e-9)))
    if not args.no_check:
        onnx.checker.check_model(path)          # path form: the model is > 2 GB
        print("onnx.checker.check_model: ok (%.1f s)" % (time.time() - t1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
