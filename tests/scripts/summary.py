#!/usr/bin/env python3
"""Summarize CTest JUnit files: per phase the counts, every skipped test with its reason (the
line it printed about the skip), every failed test; the last line is the total.

  summary.py PHASE=FILE.xml [PHASE=FILE.xml ...]      exit 1 when a test failed or a file is missing"""
import sys
import xml.etree.ElementTree as ET


def reason(case):
    out = (case.findtext("system-out") or "").strip().splitlines()
    said = [l for l in out if l.lower().startswith("skip")]
    return (said or out[-1:] or ["(printed nothing)"])[0].strip()


def main(args):
    tp = tf = ts = 0
    bad = False
    for a in args:
        phase, path = a.split("=", 1)
        try:
            cases = ET.parse(path).getroot().iter("testcase")
        except (OSError, ET.ParseError) as e:
            print(f"{phase}: no test results ({e})")
            bad = True
            continue
        p = f = s = 0
        for c in cases:
            st = c.get("status")
            if st == "run":
                p += 1
            elif st in ("notrun", "disabled") and c.find("skipped") is not None:
                s += 1
                print(f"{phase}: skipped {c.get('name')}: {reason(c)}")
            else:
                f += 1
                print(f"{phase}: FAILED {c.get('name')} ({st})")
        if p + f + s == 0:
            print(f"{phase}: ran no test")
            bad = True
        print(f"{phase}: {p} passed, {f} failed, {s} skipped")
        tp, tf, ts = tp + p, tf + f, ts + s
    print(f"total: {tp} passed, {tf} failed, {ts} skipped")
    return 1 if tf or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
