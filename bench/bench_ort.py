#!/usr/bin/env python3
"""pippyc (one rank, one chunk) against onnxruntime: same model, same input, same threads.

    python3 bench/bench_ort.py [--bin build-bench/bin] [--threads 1,2] [--rounds 5]
                               [--cases lm_dyn,resnet,gpt2s_b1s128,gpt2s_b4s64]

For every case and thread count it compiles the model once with
`pippyc MODEL --ranks 1 --chunks 1 --input-shape NAME=DIMS`, then, interleaved in each round:

  pippyc    `pippyrun --nproc-per-node 1 DIR --input NAME=FILE --repeat K --threads T`;
            time per batch = the wall time the runtime prints / K.  That clock starts after
            the ranks have joined and the weights are mapped, so process start-up,
            weight mapping and input reading are NOT included (they are shown apart, as
            "process" = the whole pippyrun command / K, for reference).
  ort       onnxruntime InferenceSession, intra_op_num_threads=T, inter_op_num_threads=1,
            ORT_SEQUENTIAL, default graph optimizations (ORT_ENABLE_ALL); time per batch =
            mean of K session.run calls after 2 warm-up calls (session creation excluded).
  ort-noopt the same with GraphOptimizationLevel.ORT_DISABLE_ALL.

K is chosen per case from a calibration run so that one round takes about --target seconds.
Reported: median (and min) over the rounds of the per-batch time, the ratio pippyc/ort
(> 1: pippyc is slower; the median over rounds of each round's ratio), and max |pippyc - ort| on the outputs (plus against the stored
reference outputs for the test models).  The GPT-2-small-shaped model is generated into
/tmp/gpt2s with bench/make_gpt2xl.py when missing.

Nothing here is a pass/fail test: it prints a table (and --json FILE writes the figures).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPT2S = "/tmp/gpt2s"


def find_bin(arg):
    for d in ([arg] if arg else []) + [os.path.join(ROOT, "build-bench/bin"),
                                        os.path.join(ROOT, "build/bin"),
                                        os.path.join(ROOT, "build-lead/bin")]:
        if d and os.path.exists(os.path.join(d, "pippyc")) and \
                os.path.exists(os.path.join(d, "pippyrun")):
            return d
    sys.exit("bench_ort: no pippyc/pippyrun found; build with cmake --build build-bench "
             "or pass --bin DIR")


def ensure_gpt2s():
    if not os.path.exists(os.path.join(GPT2S, "model.onnx")):
        print("generating the GPT-2-small-shaped model into %s" % GPT2S, flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/make_gpt2xl.py"), GPT2S,
                        "--layers", "12", "--d-model", "768", "--heads", "12"], check=True)
    return os.path.join(GPT2S, "model.onnx")


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def cases(names):
    """name -> (model path, input name, input array, reference output or None)."""
    out = {}
    for n in names:
        if n in ("lm_dyn", "resnet"):
            d = os.path.join(ROOT, "tests/models", n)
            m = onnx.load(os.path.join(d, "model.onnx"), load_external_data=False)
            x = load_pb(os.path.join(d, "test_data_set_0/input_0.pb"))
            ref = load_pb(os.path.join(d, "test_data_set_0/output_0.pb"))
            out[n] = (os.path.join(d, "model.onnx"), m.graph.input[0].name, x, ref)
        else:
            mm = re.fullmatch(r"gpt2s_b(\d+)s(\d+)", n)
            if not mm:
                sys.exit("bench_ort: unknown case %s (lm_dyn, resnet, gpt2s_bBsS)" % n)
            b, s = int(mm.group(1)), int(mm.group(2))
            rng = np.random.default_rng(1)
            x = rng.integers(0, 50257, size=(b, s), dtype=np.int64)
            out[n] = (ensure_gpt2s(), "input_ids", x, None)
    return out


def run_pippy(pippyrun, prog, iname, xfile, k, threads, outdir):
    cmd = [pippyrun, "--nproc-per-node", "1", prog, "--input", "%s=%s" % (iname, xfile),
           "--repeat", str(k), "--threads", str(threads)]
    if outdir:
        cmd += ["--output-dir", outdir]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    total = time.perf_counter() - t0
    if p.returncode:
        sys.exit("bench_ort: %s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode,
                                                        p.stdout, p.stderr))
    m = re.search(r"batch(?:es)? of \d+ in ([0-9.]+) s", p.stdout)
    if not m:
        sys.exit("bench_ort: no timing line in pippyrun's output:\n" + p.stdout)
    return float(m.group(1)) / k, total / k


def make_session(path, threads, opt):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if not opt:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def time_ort(sess, feed, k):
    t0 = time.perf_counter()
    for _ in range(k):
        sess.run(None, feed)
    return (time.perf_counter() - t0) / k


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", help="directory with pippyc and pippyrun (default build-bench/bin)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per case (median)")
    ap.add_argument("--target", type=float, default=1.0, help="seconds per timed run (sets K)")
    ap.add_argument("--cases", default="lm_dyn,resnet,gpt2s_b1s128,gpt2s_b4s64")
    ap.add_argument("--work", help="scratch directory (default: a temporary one, removed)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    bindir = find_bin(args.bin)
    pippyc, pippyrun = os.path.join(bindir, "pippyc"), os.path.join(bindir, "pippyrun")
    threads = [int(t) for t in args.threads.split(",")]
    work = args.work or tempfile.mkdtemp(prefix="bench_ort_")
    os.makedirs(work, exist_ok=True)
    print("onnxruntime %s, numpy %s, %d cores, pippyc from %s"
          % (ort.__version__, np.__version__, os.cpu_count(), bindir), flush=True)
    results = []
    try:
        for name, (model, iname, x, ref) in cases(args.cases.split(",")).items():
            cdir = os.path.join(work, name)
            os.makedirs(cdir, exist_ok=True)
            xfile = os.path.join(cdir, "input.npy")
            np.save(xfile, x)
            prog = os.path.join(cdir, "prog")
            shape = "x".join(str(d) for d in x.shape)
            t0 = time.perf_counter()
            subprocess.run([pippyc, model, "--ranks", "1", "--chunks", "1", "--input-shape",
                            "%s=%s" % (iname, shape), "-o", prog], check=True,
                           stdout=subprocess.DEVNULL)
            tcomp = time.perf_counter() - t0
            feed = {iname: x}
            for T in threads:
                # outputs (and a calibration of K) from one run each
                res = os.path.join(cdir, "res%d" % T)
                per, _ = run_pippy(pippyrun, prog, iname, xfile, 1, T, res)
                y_p = load_pb(os.path.join(res, "output_0.pb"))
                s_opt, s_no = make_session(model, T, True), make_session(model, T, False)
                y_o = s_opt.run(None, feed)[0]
                y_n = s_no.run(None, feed)[0]
                t1 = min(time_ort(s_opt, feed, 1) for _ in range(3))
                per = min(run_pippy(pippyrun, prog, iname, xfile, 3, T, None)[0]
                          for _ in range(2))
                k = max(3, int(args.target / max(per, t1, 1e-6)))
                tp, tproc, to, tn = [], [], [], []
                for _ in range(args.rounds):
                    a, b = run_pippy(pippyrun, prog, iname, xfile, k, T, None)
                    tp.append(a)
                    tproc.append(b)
                    to.append(time_ort(s_opt, feed, k))
                    tn.append(time_ort(s_no, feed, k))
                del s_opt, s_no
                r = {
                    "case": name, "input": "%s %s %s" % (iname, str(x.dtype), shape),
                    "threads": T, "K": k, "rounds": args.rounds, "compile_s": tcomp,
                    "pippyc_ms": 1e3 * statistics.median(tp), "pippyc_min_ms": 1e3 * min(tp),
                    "pippyc_process_ms": 1e3 * statistics.median(tproc),
                    "ort_ms": 1e3 * statistics.median(to), "ort_min_ms": 1e3 * min(to),
                    "ort_noopt_ms": 1e3 * statistics.median(tn),
                    "ort_noopt_min_ms": 1e3 * min(tn),
                    "maxdiff_vs_ort": float(np.max(np.abs(y_p.astype(np.float64) - y_o))),
                    "maxdiff_vs_ort_noopt": float(np.max(np.abs(y_p.astype(np.float64) - y_n))),
                    "maxabs_out": float(np.max(np.abs(y_o))),
                    "maxdiff_vs_ref": (float(np.max(np.abs(y_p.astype(np.float64) - ref)))
                                       if ref is not None else None),
                }
                # ratios per round (the three were timed back to back), then the median:
                # steadier than a ratio of medians when the machine's load drifts
                r["ratio"] = statistics.median(a / b for a, b in zip(tp, to))
                r["ratio_noopt"] = statistics.median(a / b for a, b in zip(tp, tn))
                results.append(r)
                print("%-14s T=%d K=%-4d pippyc %9.3f ms (min %9.3f, process %9.3f)  "
                      "ort %9.3f ms (min %9.3f)  ort-noopt %9.3f ms  pippyc/ort %.2f  "
                      "pippyc/ort-noopt %.2f  max|diff| %.2e (ref %s)"
                      % (name, T, k, r["pippyc_ms"], r["pippyc_min_ms"], r["pippyc_process_ms"],
                         r["ort_ms"], r["ort_min_ms"], r["ort_noopt_ms"], r["ratio"],
                         r["ratio_noopt"], r["maxdiff_vs_ort"],
                         "%.2e" % r["maxdiff_vs_ref"] if r["maxdiff_vs_ref"] is not None
                         else "-"), flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print("\n| case | input | threads | pippyc ms/batch | ORT ms/batch | ORT no-opt ms/batch "
          "| pippyc/ORT | pippyc/ORT no-opt | max abs diff vs ORT |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %s | %d | %.3f | %.3f | %.3f | %.2f | %.2f | %.1e |"
              % (r["case"], r["input"], r["threads"], r["pippyc_ms"], r["ort_ms"],
                 r["ort_noopt_ms"], r["ratio"], r["ratio_noopt"], r["maxdiff_vs_ort"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
