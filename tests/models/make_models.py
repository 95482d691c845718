#!/usr/bin/env python3
"""Build the small test models under tests/models/ (pippyc's end-to-end fixtures).

    python3 tests/models/make_models.py            # all models
    python3 tests/models/make_models.py lm_dyn     # only some

Each model goes to tests/models/<name>/model.onnx (opset 17, weights inline) with
test data in the ONNX backend-test layout:
    tests/models/<name>/test_data_set_<k>/input_<i>.pb, output_<i>.pb
The references are computed by torch and cross-checked against onnxruntime.
Python is only used to MAKE these fixtures; pippyc itself never needs it.
The script is deterministic: rerunning it rewrites byte-identical files.
"""

import collections
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17


# ---------------------------------------------------------------------------
# lm: a GPT-2-style decoder-only LM in plain torch

VOCAB, D_MODEL, N_HEAD, N_LAYER, N_CTX = 256, 64, 4, 4, 32


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.act = nn.GELU()                       # erf form: Div/Erf/Add/Mul in opset 17
        self.mlp_proj = nn.Linear(4 * d, d)

    def attn(self, x):
        b, t, c = x.shape
        hd = c // self.h
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.h, hd).transpose(1, 2)   # [b, h, t, hd]
        k = k.view(b, t, self.h, hd).transpose(1, 2)
        v = v.view(b, t, self.h, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-2, -1)) / (hd ** 0.5)
        # causal mask from the sequence length: Range + comparison -> Where
        pos = torch.arange(t, device=x.device)
        keep = pos.unsqueeze(1) >= pos.unsqueeze(0)    # [t, t]
        att = att.masked_fill(~keep, torch.finfo(att.dtype).min)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, c)
        return self.c_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp_proj(self.act(self.c_fc(self.ln_2(x))))
        return x


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, D_MODEL)
        self.wpe = nn.Embedding(N_CTX, D_MODEL)
        self.h = nn.ModuleList([Block(D_MODEL, N_HEAD) for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(D_MODEL)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for blk in self.h:
            x = blk(x)
        x = self.ln_f(x)
        return torch.matmul(x, self.wte.weight.t())     # LM head tied to wte


def make_lm():
    torch.manual_seed(0)
    m = TinyGPT()
    with torch.no_grad():  # GPT-2-like init, and non-trivial LayerNorm params
        for n, p in m.named_parameters():
            if n.endswith("weight") and p.dim() == 2:
                p.normal_(0.0, 0.08)
            elif "ln" in n and n.endswith("weight"):
                p.uniform_(0.8, 1.2)
            else:
                p.normal_(0.0, 0.02)
    return m.eval()


def tie_lm_head(path, emb_name):
    """The exporter constant-folds wte.weight.t() into a second initializer,
    which would duplicate the embedding.  Put the tie back: the LM head's
    MatMul reads Transpose(wte) of the one shared initializer."""
    model = onnx.load(path)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    emb = numpy_helper.to_array(inits[emb_name])
    for t in list(g.initializer):
        if t.name == emb_name:
            continue
        a = numpy_helper.to_array(t)
        if a.shape == emb.shape[::-1] and np.array_equal(a, emb.T):
            tname = emb_name + "_T"
            for n in g.node:
                for i, x in enumerate(n.input):
                    if x == t.name:
                        n.input[i] = tname
            g.initializer.remove(t)
            # insert before the first consumer to keep topological order
            first = min(i for i, n in enumerate(g.node) if tname in n.input)
            g.node.insert(first, helper.make_node(
                "Transpose", [emb_name], [tname], name="lm_head_tied_transpose",
                perm=[1, 0]))
            break
    else:
        has_t = any(n.op_type == "Transpose" and n.input[0] == emb_name for n in g.node)
        assert has_t, "tied LM head not found"
    onnx.checker.check_model(model)
    onnx.save(model, path)


def build_lm(name, dynamic):
    m = make_lm()
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    g = torch.Generator().manual_seed(1)
    shape = (4, 16) if dynamic else (2, 16)
    ids = torch.randint(0, VOCAB, shape, generator=g)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    torch.onnx.export(m, (ids,), path, dynamo=False, opset_version=OPSET,
                      input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes=axes if dynamic else None)
    tie_lm_head(path, "wte.weight")
    with torch.no_grad():
        out = m(ids)
    return path, [[ids.numpy()]], [[out.numpy()]]


# ---------------------------------------------------------------------------
# resnet: ResNet-18-shaped CNN with narrow widths

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.down is None else self.down(x)
        return F.relu(y + s)


class TinyResNet(nn.Module):
    def __init__(self, widths=(8, 16, 32, 64), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)   # CIFAR-style stem
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w, 1)))
            cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def build_resnet():
    torch.manual_seed(0)
    m = TinyResNet()
    with torch.no_grad():  # non-trivial running stats so BatchNorm matters
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0.0, 0.1)
    m.eval()
    d = os.path.join(HERE, "resnet")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(m, (x,), path, dynamo=False, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    with torch.no_grad():
        out = m(x)
    return path, [[x.numpy()]], [[out.numpy()]]


# ---------------------------------------------------------------------------
# ifmodel: an ONNX If whose condition is a boolean graph input

class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(16, 32)
        self.linear2 = nn.Linear(16, 32)
        self.final = nn.Linear(32, 8)

    def forward(self, x, use_gelu):
        if bool(use_gelu):
            h = F.gelu(self.linear1(x))
        else:
            h = F.relu(self.linear2(x))
        return self.final(h)


def build_ifmodel():
    torch.manual_seed(0)
    m = Branchy().eval()
    sm = torch.jit.script(m)
    d = os.path.join(HERE, "ifmodel")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    x = torch.randn(4, 16, generator=torch.Generator().manual_seed(1))
    t, f = torch.tensor(True), torch.tensor(False)
    torch.onnx.export(sm, (x, t), path, dynamo=False, opset_version=OPSET,
                      input_names=["x", "use_gelu"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    model = onnx.load(path)
    ifs = [n for n in model.graph.node if n.op_type == "If"]
    assert ifs, "no If node in the exported graph"
    # the condition must come from the graph input (directly or through a Cast)
    producers = {o: n for n in model.graph.node for o in n.output}
    c = ifs[0].input[0]
    while c in producers and producers[c].op_type in ("Cast", "Identity"):
        c = producers[c].input[0]
    assert c == "use_gelu", "If condition is %s, not the graph input" % c
    ins, outs = [], []
    with torch.no_grad():
        for cond in (t, f):
            ins.append([x.numpy(), cond.numpy()])
            outs.append([m(x, cond).numpy()])
    return path, ins, outs


# ---------------------------------------------------------------------------

def write_data(path, ins, outs):
    import onnxruntime as ort
    model = onnx.load(path)
    in_names = [i.name for i in model.graph.input]
    out_names = [o.name for o in model.graph.output]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    d = os.path.dirname(path)
    diffs = []
    for k, (xs, ys) in enumerate(zip(ins, outs)):
        ds = os.path.join(d, "test_data_set_%d" % k)
        os.makedirs(ds, exist_ok=True)
        for i, (n, a) in enumerate(zip(in_names, xs)):
            with open(os.path.join(ds, "input_%d.pb" % i), "wb") as fh:
                fh.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())
        for i, (n, a) in enumerate(zip(out_names, ys)):
            with open(os.path.join(ds, "output_%d.pb" % i), "wb") as fh:
                fh.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())
        got = sess.run(None, dict(zip(in_names, [np.asarray(a) for a in xs])))
        diff = max(float(np.max(np.abs(g - y))) for g, y in zip(got, ys))
        diffs.append(diff)
        assert diff < 1e-4, "onnxruntime differs from torch by %g" % diff
    return diffs


def summary(name, path, diffs):
    model = onnx.load(path)
    g = model.graph

    def count_ops(graph, c):
        for n in graph.node:
            c[n.op_type] += 1
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    count_ops(a.g, c)
        return c

    ops = count_ops(g, collections.Counter())
    params = sum(int(np.prod(t.dims)) for t in g.initializer
                 if t.data_type == onnx.TensorProto.FLOAT)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    print("== %s: %s" % (name, os.path.relpath(path, os.path.dirname(HERE))))
    print("   size %d bytes, %d float params, %d initializers, %d nodes (top level)"
          % (os.path.getsize(path), params, len(g.initializer), len(g.node)))
    print("   inputs  %s" % ", ".join("%s%s" % (v.name, dims(v)) for v in g.input))
    print("   outputs %s" % ", ".join("%s%s" % (v.name, dims(v)) for v in g.output))
    print("   ops " + ", ".join("%s:%d" % kv for kv in sorted(ops.items())))
    print("   ort vs torch max abs diff per data set: %s"
          % ", ".join("%.3g" % x for x in diffs))


BUILDERS = {
    "lm_dyn": lambda: build_lm("lm_dyn", True),
    "lm_static": lambda: build_lm("lm_static", False),
    "resnet": build_resnet,
    "ifmodel": build_ifmodel,
}


def main(argv):
    import warnings
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)     # deterministic reductions
    names = argv[1:] or list(BUILDERS)
    for name in names:
        path, ins, outs = BUILDERS[name]()
        onnx.checker.check_model(onnx.load(path), full_check=True)
        diffs = write_data(path, ins, outs)
        summary(name, path, diffs)


if __name__ == "__main__":
    main(sys.argv)
