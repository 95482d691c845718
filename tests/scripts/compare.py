#!/usr/bin/env python3
"""Compare a run's outputs with references.

  compare.py REF_DIR OUT_DIR [--rtol R --atol A]   REF_DIR holds output_<i>.pb (torch's)
  compare.py --bitwise DIR_A DIR_B                 every output_<i>.pb byte-identical

Prints one line with the worst error and exits 1 on a mismatch (shape, dtype or values)."""
import glob, os, sys
import numpy as np
from onnx import TensorProto, numpy_helper


def load(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def main(argv):
    bitwise = "--bitwise" in argv
    args = [a for a in argv if a != "--bitwise"]
    rtol, atol = 1e-3, 1e-4
    if "--rtol" in args:
        i = args.index("--rtol"); rtol = float(args[i + 1]); del args[i:i + 2]
    if "--atol" in args:
        i = args.index("--atol"); atol = float(args[i + 1]); del args[i:i + 2]
    ref_dir, out_dir = args
    refs = sorted(glob.glob(os.path.join(ref_dir, "output_*.pb")))
    if not refs:
        print(f"no output_*.pb in {ref_dir}")
        return 1
    worst = 0.0
    for r in refs:
        o = os.path.join(out_dir, os.path.basename(r))
        if not os.path.exists(o):
            print(f"missing {o}")
            return 1
        a, b = load(r), load(o)
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"{os.path.basename(r)}: expected {a.dtype}{list(a.shape)}, got {b.dtype}{list(b.shape)}")
            return 1
        if bitwise:
            if a.tobytes() != b.tobytes():
                d = np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64))) if a.size else 0
                print(f"{os.path.basename(r)}: not bitwise equal (max abs diff {d:.3g})")
                return 1
            continue
        if a.dtype.kind in "fc":
            err = np.abs(a.astype(np.float64) - b.astype(np.float64))
            tol = atol + rtol * np.abs(a.astype(np.float64))
            bad = ~(err <= tol) & ~(np.isnan(a) & np.isnan(b))
            worst = max(worst, float(np.nanmax(err)) if err.size else 0.0)
            if bad.any():
                nan_bad = int((bad & (np.isnan(a) != np.isnan(b))).sum())
                print(f"{os.path.basename(r)}: {int(bad.sum())} of {a.size} values outside "
                      f"rtol {rtol} atol {atol} ({nan_bad} NaN against a number; max abs err "
                      f"of the others {worst:.3g})")
                return 1
        elif not np.array_equal(a, b):
            print(f"{os.path.basename(r)}: integer/bool values differ")
            return 1
    print("bitwise equal" if bitwise else f"max abs err {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
