#!/usr/bin/env python3
"""Build small Hugging Face architectures as ONNX test models (tests/models/hf_<name>/).

    python3 tests/models/make_hf_models.py              # all models
    python3 tests/models/make_hf_models.py gpt2 bloom   # only some

Every model is a real `transformers` class built from a SMALL config with random
weights (torch.manual_seed(0); never from_pretrained, nothing is downloaded), in
eval mode, with eager attention and use_cache=False. It is exported with torch's
legacy TorchScript exporter (torch.onnx.export(..., dynamo=False), opset 17,
weights inline) to tests/models/hf_<name>/model.onnx, with test data in the ONNX
backend-test layout (test_data_set_<k>/input_<i>.pb, output_0.pb) computed by
torch and cross-checked against onnxruntime: set 0 at the shapes below, set 1 at
another shape (text [2, 11], vision batch 3), which checks that the dynamic axes
really are dynamic.

Text models take `input_ids` int64 [batch, seq] (dynamic batch and seq; no
attention_mask input: every model here builds its own all-ones mask) and give
`logits` [batch, seq, vocab]; the reference batch is [4, 16]. Two variants take
`attention_mask` int64 [batch, seq] too, with padding (hf_bert_mask: BertModel,
right padding, output `last_hidden_state`; hf_opt_mask: OPT, left padding).
Vision models take `pixel_values` float [batch, 3, 32, 32] (dynamic batch) and
give `logits` [batch, 10]; the reference batch is 4.

The script is deterministic: rerunning it rewrites byte-identical files.
Python is only used to MAKE these fixtures; pippyc itself never needs it.
"""

import collections
import contextlib
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
VOCAB = 256
TEXT_SHAPE = (4, 16)              # test_data_set_0
ALT_TEXT_SHAPE = (2, 11)          # test_data_set_1: another batch and an odd length
IMG = 32
NUM_LABELS = 10


# ---------------------------------------------------------------------------
# export helpers

@contextlib.contextmanager
def no_packed_sequence_detection():
    """transformers' mask builder checks position_ids for packed sequences with
    torch.diff (no ONNX symbolic: 'aten::diff' unsupported in opset 17). Under
    tracing it cannot early-exit, so it always emits that subgraph. Our inputs
    are never packed: make the check say so while exporting."""
    import transformers.masking_utils as mu
    saved = mu.find_packed_sequence_indices
    mu.find_packed_sequence_indices = lambda position_ids: None
    try:
        yield
    finally:
        mu.find_packed_sequence_indices = saved


class FirstOutput(nn.Module):
    """Call the HF model with keyword args and return only its first output
    (logits, or last_hidden_state for a base model)."""

    def __init__(self, model, input_names):
        super().__init__()
        self.model = model
        self.input_names = list(input_names)

    def forward(self, *xs):
        kw = dict(zip(self.input_names, xs))
        kw["return_dict"] = False
        if "input_ids" in kw:
            kw["use_cache"] = False
        return self.model(**kw)[0]


def perturb(model):
    """Non-trivial parameters everywhere: the HF inits leave every norm at
    weight 1 / bias 0 and BatchNorm at mean 0 / var 1, which would hide a
    kernel that ignores them."""
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.LayerNorm, nn.GroupNorm)):
                if mod.weight is not None:
                    mod.weight.copy_(torch.rand(mod.weight.shape, generator=g) * 0.4 + 0.8)
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.05)
            elif isinstance(mod, nn.BatchNorm2d):
                c = mod.num_features
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                mod.weight.copy_(torch.rand(c, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(c, generator=g) * 0.1)
            elif isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d)) or \
                    type(mod).__name__ == "Conv1D":       # GPT-2's transposed Linear
                if getattr(mod, "bias", None) is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.05)
    return model


def finish(model):
    model.config.use_cache = False
    perturb(model)
    return model.eval()


# ---------------------------------------------------------------------------
# models: each builder returns (model, Spec)

class Spec:
    """inputs: graph input names; output: graph output name; pad: where the
    attention_mask input (if any) has its zeros, "right" or "left"."""

    def __init__(self, inputs, output="logits", pad=None):
        self.inputs, self.output, self.pad = list(inputs), output, pad


TEXT = Spec(["input_ids"])
VISION = Spec(["pixel_values"])
# initializer_range 0.08 (vs HF's 0.02) so attention is far from uniform and
# the logits are O(1): a wrong mask or a dropped term shows in the output.

def text_common(**kw):
    kw.setdefault("initializer_range", 0.08)
    kw.setdefault("use_cache", False)
    kw.setdefault("attn_implementation", "eager")
    return kw


def build_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    cfg = GPT2Config(**text_common(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2,
                                   n_head=4, n_inner=128))
    return GPT2LMHeadModel(cfg), TEXT


def build_opt():
    from transformers import OPTConfig, OPTForCausalLM
    cfg = OPTConfig(**text_common(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2,
                                  ffn_dim=128, num_attention_heads=4,
                                  max_position_embeddings=64, word_embed_proj_dim=64,
                                  init_std=0.08))
    return OPTForCausalLM(cfg), TEXT


def build_bloom():
    from transformers import BloomConfig, BloomForCausalLM
    cfg = BloomConfig(**text_common(vocab_size=VOCAB, hidden_size=64, n_layer=2, n_head=4))
    return BloomForCausalLM(cfg), TEXT


def build_gpt_neo():
    from transformers import GPTNeoConfig, GPTNeoForCausalLM
    # layer 0 global attention, layer 1 local (sliding window of 4 < seq 16)
    cfg = GPTNeoConfig(**text_common(vocab_size=VOCAB, hidden_size=64, num_layers=2,
                                     num_heads=4, intermediate_size=128,
                                     attention_types=[[["global", "local"], 1]],
                                     window_size=4, max_position_embeddings=64))
    return GPTNeoForCausalLM(cfg), TEXT


def build_codegen():
    from transformers import CodeGenConfig, CodeGenForCausalLM
    cfg = CodeGenConfig(**text_common(vocab_size=VOCAB, n_positions=64, n_ctx=64, n_embd=64,
                                      n_layer=2, n_head=4, rotary_dim=8, n_inner=128))
    return CodeGenForCausalLM(cfg), TEXT


def bert_config():
    from transformers import BertConfig
    return BertConfig(**text_common(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2,
                                    num_attention_heads=4, intermediate_size=128,
                                    max_position_embeddings=64))


def build_bert():
    from transformers import BertForMaskedLM
    return BertForMaskedLM(bert_config()), TEXT


def build_bert_mask():
    # the base model with a padding mask: two inputs, output last_hidden_state
    from transformers import BertModel
    return BertModel(bert_config(), add_pooling_layer=False), \
        Spec(["input_ids", "attention_mask"], "last_hidden_state", pad="right")


def build_opt_mask():
    # left padding (batched generation's layout): OPT's positions are the
    # cumsum of attention_mask, and the mask is causal AND padding
    m, _ = build_opt()
    return m, Spec(["input_ids", "attention_mask"], pad="left")


def build_vit():
    from transformers import ViTConfig, ViTForImageClassification
    cfg = ViTConfig(image_size=IMG, patch_size=8, num_channels=3, hidden_size=64,
                    num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                    num_labels=NUM_LABELS, initializer_range=0.08,
                    attn_implementation="eager")
    return ViTForImageClassification(cfg), VISION


def build_resnet50():
    from transformers import ResNetConfig, ResNetForImageClassification
    # ResNet-50's shape (bottleneck blocks, depths 3/4/6/3), narrow widths
    cfg = ResNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[32, 64, 128, 256],
                       depths=[3, 4, 6, 3], layer_type="bottleneck", hidden_act="relu",
                       num_labels=NUM_LABELS)
    return ResNetForImageClassification(cfg), VISION


def build_regnet():
    from transformers import RegNetConfig, RegNetForImageClassification
    # RegNetY: grouped convs (group width 8) and squeeze-excitation
    cfg = RegNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[16, 32, 64, 128],
                       depths=[1, 1, 2, 1], groups_width=8, layer_type="y",
                       num_labels=NUM_LABELS)
    return RegNetForImageClassification(cfg), VISION


BUILDERS = collections.OrderedDict([
    ("gpt2", build_gpt2),
    ("opt", build_opt),
    ("bloom", build_bloom),
    ("gpt_neo", build_gpt_neo),
    ("codegen", build_codegen),
    ("bert", build_bert),
    ("bert_mask", build_bert_mask),
    ("opt_mask", build_opt_mask),
    ("vit", build_vit),
    ("resnet50", build_resnet50),
    ("regnet", build_regnet),
])


# ---------------------------------------------------------------------------

def make_inputs(spec, alt=False):
    g = torch.Generator().manual_seed(3 if alt else 1)
    xs = []
    for name in spec.inputs:
        if name == "input_ids":
            shape = ALT_TEXT_SHAPE if alt else TEXT_SHAPE
            xs.append(torch.randint(0, VOCAB, shape, generator=g))
        elif name == "attention_mask":
            b, t = ALT_TEXT_SHAPE if alt else TEXT_SHAPE
            mask = torch.ones(b, t, dtype=torch.int64)
            for i in range(b):           # row i: 3*i padding tokens (row 0 none)
                p = min(3 * i, t - 1)
                if p:
                    if spec.pad == "left":
                        mask[i, :p] = 0
                    else:
                        mask[i, t - p:] = 0
            xs.append(mask)
        elif name == "pixel_values":
            xs.append(torch.randn(3 if alt else 4, 3, IMG, IMG, generator=g))  # set 1: batch 3
        else:
            raise ValueError(name)
    return xs


def export(name):
    torch.manual_seed(0)
    model, spec = BUILDERS[name]()
    model = finish(model)
    wrapped = FirstOutput(model, spec.inputs).eval()
    d = os.path.join(HERE, "hf_" + name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    xs = make_inputs(spec)
    if "input_ids" in spec.inputs:       # text: batch and sequence
        axes = {n: {0: "batch", 1: "seq"} for n in spec.inputs + [spec.output]}
    else:                                # vision: batch only
        axes = {n: {0: "batch"} for n in spec.inputs + [spec.output]}
    with torch.no_grad(), no_packed_sequence_detection():
        torch.onnx.export(wrapped, tuple(xs), path, dynamo=False, opset_version=OPSET,
                          input_names=spec.inputs, output_names=[spec.output],
                          dynamic_axes=axes)
        y = wrapped(*xs)
        xs2 = make_inputs(spec, alt=True)
        y2 = wrapped(*xs2)
    m = onnx.load(path)
    m.producer_version = ""            # keep files independent of the torch build string
    onnx.save(m, path)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return path, ([x.numpy() for x in xs], y.numpy()), ([x.numpy() for x in xs2], y2.numpy())


def write_data(path, ref, alt):
    import onnxruntime as ort
    model = onnx.load(path)
    in_names = [i.name for i in model.graph.input]
    out_name = model.graph.output[0].name
    for k, (xs, y) in enumerate((ref, alt)):
        ds = os.path.join(os.path.dirname(path), "test_data_set_%d" % k)
        os.makedirs(ds, exist_ok=True)
        assert len(xs) == len(in_names), "graph inputs %s" % in_names
        for i, (n, x) in enumerate(zip(in_names, xs)):
            with open(os.path.join(ds, "input_%d.pb" % i), "wb") as fh:
                fh.write(numpy_helper.from_array(x, n).SerializeToString())
        with open(os.path.join(ds, "output_0.pb"), "wb") as fh:
            fh.write(numpy_helper.from_array(y, out_name).SerializeToString())
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    diffs = []
    for xs_, ys in (ref, alt):
        got = sess.run(None, dict(zip(in_names, xs_)))[0]
        assert got.shape == ys.shape, "ort shape %s vs torch %s" % (got.shape, ys.shape)
        assert np.all(np.isfinite(ys)), "torch output has non-finite values"
        diff = float(np.max(np.abs(got - ys)))
        diffs.append((diff, float(np.max(np.abs(ys)))))
        assert diff < 1e-4 * max(1.0, float(np.max(np.abs(ys)))), \
            "onnxruntime differs from torch by %g" % diff
    return diffs


def summary(name, path, diffs):
    model = onnx.load(path)
    g = model.graph
    ops = collections.Counter(n.op_type for n in g.node)
    params = sum(int(np.prod(t.dims)) for t in g.initializer
                 if t.data_type == onnx.TensorProto.FLOAT)

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()[:16]
    print("== hf_%s: %s" % (name, os.path.relpath(path, os.path.dirname(HERE))))
    print("   size %d bytes (sha256 %s), %d float params, %d initializers, %d nodes"
          % (os.path.getsize(path), digest, params, len(g.initializer), len(g.node)))
    print("   inputs  %s" % ", ".join("%s%s" % (v.name, dims(v)) for v in g.input))
    print("   outputs %s" % ", ".join("%s%s" % (v.name, dims(v)) for v in g.output))
    print("   ops " + ", ".join("%s:%d" % kv for kv in sorted(ops.items())))
    print("   ort vs torch max abs diff: %s" % ", ".join(
        "%.3g (max |y| %.3g)" % d for d in diffs))
    sys.stdout.flush()


def main(argv):
    import warnings
    warnings.filterwarnings("ignore")
    import logging
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)     # deterministic reductions
    names = argv[1:] or list(BUILDERS)
    bad = [n for n in names if n not in BUILDERS]
    if bad:
        sys.exit("unknown model(s) %s; known: %s" % (", ".join(bad), ", ".join(BUILDERS)))
    failed = []
    for name in names:
        try:
            path, ref, alt = export(name)
            diffs = write_data(path, ref, alt)
            summary(name, path, diffs)
        except Exception as e:       # report every model, then fail at the end
            msg = str(e).strip().splitlines()
            print("== hf_%s: FAILED: %s: %s" % (name, type(e).__name__,
                                                 msg[-1] if msg else ""))
            failed.append(name)
    if failed:
        sys.exit("failed: " + ", ".join(failed))


if __name__ == "__main__":
    main(sys.argv)
