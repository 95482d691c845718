#!/usr/bin/env python3
"""Pipeline throughput: the GPT-2-small-shaped model at 1 rank and 2 ranks, chunks 1/2/4/8.

    python3 bench/bench_pipeline.py [--bin build-bench/bin] [--batch 8] [--seq 32]
                                    [--ranks 1,2] [--chunks 1,2,4,8] [--rounds 3] [--repeat 2]

For each (ranks p, chunks m) it compiles
    pippyc /tmp/gpt2s/model.onnx --ranks p --chunks m --input-shape input_ids=BxS -o DIR
and runs, --rounds times,
    pippyrun --nproc-per-node p DIR --input input_ids=ids.npy --repeat K --threads 1
(one kernel thread per rank, so 2 ranks use the machine's 2 cores).  From rank 0's printed
report it takes samples/s (batch * K / wall, the wall clock of the K batches only, start-up
excluded) and each stage's busy fraction, and prints, with medians over the rounds:
throughput, speedup against 1 rank with the same chunks and against 1 rank / 1 chunk,
the mean busy fraction next to the ideal fill-drain efficiency m/(m+p-1), and the plan's
per-stage GFLOPs (per microbatch) with the speedup they allow, sum/max.  The outputs of
every configuration are compared with the 1-rank, 1-chunk one (max abs diff).
The model is generated with bench/make_gpt2xl.py when /tmp/gpt2s is missing.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_ort import ensure_gpt2s, find_bin, load_pb  # noqa: E402


def compile_prog(pippyc, model, p, m, shape, out):
    r = subprocess.run([pippyc, model, "--ranks", str(p), "--chunks", str(m), "--input-shape",
                        "input_ids=" + shape, "-o", out], capture_output=True, text=True)
    if r.returncode:
        sys.exit("bench_pipeline: pippyc failed:\n" + r.stdout + r.stderr)
    gflops = []
    for line in r.stdout.splitlines():
        mm = re.match(r"^(\d+)\s+\d+\s+[0-9.]+ [KMG]?B\s+([0-9.]+)\s", line)
        if mm:
            gflops.append(float(mm.group(2)))
    return gflops


def run(pippyrun, prog, p, xfile, k, outdir=None):
    cmd = [pippyrun, "--nproc-per-node", str(p), prog, "--input", "input_ids=" + xfile,
           "--repeat", str(k), "--threads", "1"]
    if outdir:
        cmd += ["--output-dir", outdir]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("bench_pipeline: %s failed:\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    sps = float(re.search(r"in ([0-9.]+) s: ([0-9.]+) samples/s", r.stdout).group(2))
    busy = [float(x) for x in re.findall(r"^(?:\[rank 0\] )?\d+\s+[0-9.]+\s+[0-9.]+\s+([0-9.]+)%",
                                         r.stdout, re.M)]
    return sps, busy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin")
    ap.add_argument("--model", help="ONNX model (default: /tmp/gpt2s, generated if missing)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--chunks", default="1,2,4,8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2, help="batches per run (K)")
    ap.add_argument("--work")
    args = ap.parse_args()

    bindir = find_bin(args.bin)
    pippyc, pippyrun = os.path.join(bindir, "pippyc"), os.path.join(bindir, "pippyrun")
    model = args.model or ensure_gpt2s()
    work = args.work or tempfile.mkdtemp(prefix="bench_pipe_")
    os.makedirs(work, exist_ok=True)
    shape = "%dx%d" % (args.batch, args.seq)
    xfile = os.path.join(work, "ids.npy")
    np.save(xfile, np.random.default_rng(1).integers(0, 50257, (args.batch, args.seq),
                                                     dtype=np.int64))
    ranks = [int(x) for x in args.ranks.split(",")]
    chunks = [int(x) for x in args.chunks.split(",")]
    print("model %s, input_ids %s, %d cores, --threads 1 per rank, %d rounds of K=%d batches"
          % (model, shape, os.cpu_count(), args.rounds, args.repeat), flush=True)
    rows, base, ref = {}, {}, None
    try:
        for m in chunks:
            progs = {}
            for p in ranks:
                prog = os.path.join(work, "p%d_m%d" % (p, m))
                gf = compile_prog(pippyc, model, p, m, shape, prog)
                res = os.path.join(prog, "res")
                run(pippyrun, prog, p, xfile, 1, res)            # warm-up, and the outputs
                y = load_pb(os.path.join(res, "output_0.pb"))
                if ref is None:
                    ref = y
                progs[p] = (prog, gf, float(np.max(np.abs(y - ref))))
            samples = {p: [] for p in ranks}
            busy = {p: [] for p in ranks}
            for _ in range(args.rounds):                         # interleave the rank counts
                for p in ranks:
                    s, b = run(pippyrun, progs[p][0], p, xfile, args.repeat)
                    samples[p].append(s)
                    busy[p].append(b)
            for p in ranks:
                prog, gf, diff = progs[p]
                sps = statistics.median(samples[p])
                per_stage = [statistics.median(b[i] for b in busy[p]) for i in range(p)]
                mean_busy = statistics.median(sum(b) / len(b) for b in busy[p])
                rows[(p, m)] = dict(sps=sps, sps_min=min(samples[p]), sps_max=max(samples[p]),
                                    stage_busy=per_stage, mean_busy=mean_busy,
                                    ideal=100.0 * m / (m + p - 1), gflops=gf, diff=diff,
                                    flop_bound=sum(gf) / max(gf) if gf else float("nan"))
                shutil.rmtree(prog, ignore_errors=True)
                print("ranks %d chunks %d: %.2f samples/s (min %.2f, max %.2f), busy %s, mean "
                      "%.1f%%, ideal %.1f%%, GFLOPs/stage/microbatch %s, max|diff| %.1e"
                      % (p, m, sps, min(samples[p]), max(samples[p]),
                         "/".join("%.1f%%" % b for b in per_stage), mean_busy,
                         rows[(p, m)]["ideal"], "/".join("%.2f" % g for g in gf), diff),
                      flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    base1 = rows.get((1, 1), {}).get("sps")
    print("\n| ranks | chunks | samples/s (median) | vs 1 rank same chunks | vs 1 rank 1 chunk "
          "| busy per stage | mean busy | ideal m/(m+p-1) | FLOP-balance bound sum/max "
          "| max abs diff vs 1x1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (p, m), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        one = rows.get((1, m), {}).get("sps")
        print("| %d | %d | %.2f | %s | %s | %s | %.1f%% | %.1f%% | %.2f | %.1e |"
              % (p, m, r["sps"], "%.2fx" % (r["sps"] / one) if one else "-",
                 "%.2fx" % (r["sps"] / base1) if base1 else "-",
                 " / ".join("%.1f%%" % b for b in r["stage_busy"]), r["mean_busy"], r["ideal"],
                 r["flop_bound"], r["diff"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
