#!/usr/bin/env python3
"""Summarise `lfm-serve grammar-check` output against its input corpus.

Usage: grammar_check_report.py CASES.jsonl RESULTS.jsonl [--details]
Prints coverage, accepts-invalid (tests with `exclude_reason` are not counted), rejects-valid,
mask p50/p99 and compile p50/p99, and the refusal messages grouped by keyword.
"""
import collections
import json
import re
import sys


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))
    return xs[k]


def main():
    cases = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    results = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    details = "--details" in sys.argv
    assert len(cases) == len(results), (len(cases), len(results))
    compiled = 0
    accepts_invalid, rejects_valid = [], []
    masks, compiles = [], []
    refused = collections.Counter()
    for case, res in zip(cases, results):
        compiles.append(res["compile_us"])
        if not res["compiled"]:
            m = re.search(r"'([^']+)'", res["error"] or "")
            refused[m.group(1) if m else (res["error"] or "")[:60]] += 1
            if details:
                print("REFUSED", case.get("id"), res["error"])
            continue
        compiled += 1
        for t, r in zip(case["tests"], res["tests"]):
            masks.extend(r["mask_us"])
            if t["valid"] and not r["accepted"]:
                rejects_valid.append((case.get("id"), t["text"]))
            if not t["valid"] and r["accepted"] and not t.get("exclude_reason"):
                accepts_invalid.append((case.get("id"), t["text"]))
    n = len(cases)
    print(f"schemas {n}, compiled {compiled} ({100 * compiled / n:.1f}%)")
    print(f"accepts-invalid {len(accepts_invalid)}, rejects-valid {len(rejects_valid)}")
    print(f"mask us p50 {pct(masks, 50):.2f} p99 {pct(masks, 99):.2f} max {max(masks or [0]):.1f} (n={len(masks)})")
    print(f"compile us p50 {pct(compiles, 50):.0f} p99 {pct(compiles, 99):.0f}")
    print("refused:", dict(refused.most_common()))
    if details:
        for i, t in accepts_invalid:
            print("ACCEPTS-INVALID", i, t[:200])
        for i, t in rejects_valid:
            print("REJECTS-VALID", i, t[:200])


if __name__ == "__main__":
    main()
