#!/usr/bin/env python3
"""Plant each small bug of MUTANTS in a scratch copy of the tree, rebuild, run the fast tests,
and print which were caught. Run by tests/mutation/run.sh (see there); not part of CI.

A mutant names its subsystem, a file and one or more exact (old, new) edits. An `old` that is
not found exactly once makes the mutant STALE: the list must follow the code as it moves.
Every mutant must be caught: the exit status is 0 only when all were."""
import os, re, shutil, subprocess, sys, time

# (name, subsystem, file, [(old, new), ...])
MUTANTS = [
    ("gemm-last-row", "kernels: GEMM index", "runtime/cpu/rt_cpu_linalg.c",
     [("gemm(p.f64, 0, p.tb, p.M * p.batch, p.N, p.K, 1.0, A, p.K, B, ldb, 0.0, Y, p.N);",
       "gemm(p.f64, 0, p.tb, p.M * p.batch - 1, p.N, p.K, 1.0, A, p.K, B, ldb, 0.0, Y, p.N);")]),
    ("softmax-no-max", "kernels: Softmax stability", "runtime/cpu/rt_cpu_reduce.c",
     [("for (int64_t j = 0; j < n; j++) s += EXP(p[j * inner] - (T)m);",
       "for (int64_t j = 0; j < n; j++) s += EXP(p[j * inner]);"),
      ("q[j * inner] = (T)(EXP(p[j * inner] - (T)m) * inv);",
       "q[j * inner] = (T)(EXP(p[j * inner]) * inv);")]),
    ("equal-size-bound", "partition: equal_size", "partition/part_policy.c",
     [("while (b < n && (b == a || w.cost + win_added(&w, b) <= bound)) win_push(&w, b++);",
       "while (b < n && (b == a || w.cost + win_added(&w, b) < bound)) win_push(&w, b++);")]),
    ("threshold-at-equal", "partition: threshold", "partition/part_policy.c",
     [("if (w.cost > 0 && w.cost + win_added(&w, i) > threshold) {",
       "if (w.cost > 0 && w.cost + win_added(&w, i) >= threshold) {")]),
    ("mem-plan-touching", "codegen: buffer plan (liveness)", "ir/ir_mem.c",
     [("return a->birth <= b->death && b->birth <= a->death;",
       "return a->birth < b->death && b->birth < a->death;")]),
    ("store-job-id", "runtime: store protocol", "runtime/rt_store.c",
     [("if (strcmp(job, s->job)) {", "if (0 && strcmp(job, s->job)) {")]),
    ("concat-shape", "ir: a shape rule (Concat)", "ir/ir_shape2.c",
     [("if (sum >= 0) sum = e.v >= 0 ? sh_add_checked(sum, e.v) : -1;",
       "if (sum >= 0) sum = e.v >= 0 ? (sum > e.v ? sum : e.v) : -1;")]),
    ("threaded-copy-zeros", "kernels: threaded bulk copy", "runtime/cpu/rt_cpu_move.c",
     [("if (b < n) memcpy((char *)dst + b, (const char *)src + b, n - b < chunk ? n - b : chunk);",
       "if (b < n) { if (t) memset((char *)dst + b, 0, n - b < chunk ? n - b : chunk); "
       "else memcpy((char *)dst + b, (const char *)src + b, n - b < chunk ? n - b : chunk); }")]),
    ("npy-read-zeros", "runtime: .npy read", "runtime/rt_io.c",
     [("else memcpy(t->data, b + hoff + hlen, t->nbytes);", "else memset(t->data, 0, t->nbytes);")]),
    ("npy-write-zeros", "runtime: .npy write", "runtime/rt_io.c",
     [("ok = ok && (!t->nbytes || fwrite(t->data, 1, t->nbytes, f) == t->nbytes);",
       "ok = ok && (!t->nbytes || fwrite(calloc(1, t->nbytes), 1, t->nbytes, f) == t->nbytes);")]),
    ("pb-read-zeros", "runtime: .pb read", "runtime/rt_io.c",
     [("if (t->nbytes) memcpy(t->data, p->raw_data.data, t->nbytes);",
       "if (t->nbytes) memset(t->data, 0, t->nbytes);")]),
    ("input-cut-offset", "runtime: input cut", "runtime/rt_stage.c",
     [("memcpy(dst + o * piece * inner, (uint8_t *)t->data + (o * t->dims[sd] + i * piece) * inner,",
       "memcpy(dst + o * piece * inner, (uint8_t *)t->data + (o * piece + i * piece) * inner,")]),
    ("microbatch-order", "runtime: scheduler's microbatch order", "runtime/rt_stage.c",
     [("if (!h->replicated || i == 0) memcpy(mb_ptr(h, i), src, (size_t)x->bytes);",
       "if (!h->replicated || i == 0) memcpy(mb_ptr(h, (i + 1) % d->chunks), src, (size_t)x->bytes);")]),
    ("output-join-axis", "runtime: output join (--split-spec)", "runtime/rt_stage.c",
     [("memcpy((uint8_t *)t->data + (o * t->dims[sd] + i * piece) * inner, src + o * piece * inner,",
       "memcpy((uint8_t *)t->data + (o * piece + i * piece) * inner, src + o * piece * inner,")]),
    ("batch-axis-transpose", "ir: microbatch axis analysis", "ir/ir_batch.c",
     [("if ((p ? norm_axis(p->ints[b], R) : R - 1 - b) == a) {\n            all_out(c, b);",
       "if ((p ? norm_axis(p->ints[b], R) : R - 1 - b) == a) {\n            all_out(c, a);")]),
    ("peer-loss-as-own", "pippyrun: root cause", "tools/pippyrun/main.c",
     [("return WEXITSTATUS(st) == RT_EXIT_PEER_LOST ? END_PEER : END_OWN;", "return END_OWN;")]),
]

FAST_SCRIPTS_EXCLUDE = "test_conformance|test_fuzz_onnx|test_testdata_sweep|test_torchrun"


def sh(cmd, cwd, log, timeout):
    with open(log, "a") as f:
        f.write(f"$ {cmd}\n")
        f.flush()
        try:
            return subprocess.run(cmd, shell=True, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            f.write(f"(timed out after {timeout} s)\n")
            return 124


def main(argv):
    src = os.path.abspath(argv[0])
    scratch = os.path.abspath(argv[1])
    only = argv[2:]
    jobs = str(os.cpu_count() or 2)
    mutants = [m for m in MUTANTS if not only or m[0] in only]
    if only and len(mutants) != len(only):
        print(f"unknown mutant in {only}; known: {[m[0] for m in MUTANTS]}")
        return 2
    os.makedirs(scratch, exist_ok=True)
    # the tree as it stands, committed or not, without build folders
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=src,
                           capture_output=True, check=True).stdout.split(b"\0")
    for f in files:
        f = f.decode()
        if not f or not os.path.isfile(os.path.join(src, f)):
            continue
        d = os.path.join(scratch, f)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copy2(os.path.join(src, f), d)
    build = os.path.join(scratch, "build")
    log = os.path.join(scratch, "mutation.log")
    open(log, "w").close()
    print(f"scratch copy in {scratch}; log {log}")
    if sh("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j" + jobs,
          scratch, log, 1200):
        print("the unmutated tree does not build")
        return 2
    caught = missed = stale = 0
    for name, subsystem, path, edits in mutants:
        p = os.path.join(scratch, path)
        orig = open(p).read()
        text = orig
        why = None
        for old, new in edits:
            n = text.count(old)
            if n != 1:
                why = f"STALE: edit found {n} times in {path}"
                break
            text = text.replace(old, new)
        t0 = time.time()
        if why:
            stale += 1
            print(f"{why:10s} {name:22s} {subsystem}")
            continue
        open(p, "w").write(text)
        with open(log, "a") as f:
            f.write(f"\n===== {name} ({subsystem})\n")
        by = None
        if sh("cmake --build build -j" + jobs, scratch, log, 1200):
            by = "(mutant does not build)"
        else:
            # unit tests first, then the fast script tests; the first failure catches it
            for label, args in (("unit", "-L unit -LE cuda"),
                                ("scripts", f"-L script -LE 'slow|cuda' -E '{FAST_SCRIPTS_EXCLUDE}'")):
                out = os.path.join(scratch, "ctest.out")
                rc = sh(f"ctest --test-dir build {args} -j{jobs} --stop-on-failure "
                        f"--timeout 600 > {out} 2>&1; rc=$?; cat {out}; exit $rc", scratch, log, 3000)
                if rc:
                    failed = re.findall(r"\d+ - (\S+) \(", open(out).read())
                    by = f"{label}: {', '.join(failed) or 'ctest failed'}"
                    break
        open(p, "w").write(orig)
        os.utime(p)
        dt = time.time() - t0
        if by and not by.startswith("(mutant"):
            caught += 1
            print(f"caught     {name:22s} {subsystem:34s} by {by} ({dt:.0f} s)")
        else:
            missed += 1
            print(f"MISSED     {name:22s} {subsystem:34s} {by or 'every fast test passed'} ({dt:.0f} s)")
        sys.stdout.flush()
    print(f"{caught} caught, {missed} missed, {stale} stale, of {len(mutants)} mutants")
    return 0 if missed == 0 and stale == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
