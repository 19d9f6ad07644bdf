#!/usr/bin/env python3
"""Compares grammar-check result files on a schema corpus as a Markdown table.

  python3 scripts/grammar_report.py CORPUS.jsonl NAME=RESULTS.jsonl [NAME=RESULTS.jsonl ...] [--details]

Each results file has one line per corpus line, in the output format of `lfm-serve grammar-check`
(issue 15). Columns:
  coverage        schemas compiled / schemas
  accepts-invalid invalid instances accepted, over compiled schemas, not counting the instances
                  with an "exclude_reason" (a token-level grammar cannot see their error)
  rejects-valid   valid instances rejected, over compiled schemas
  mask p50/p99    every per-token mask time in the file (µs)
  compile p50/p99 compile time of the compiled schemas (ms)
With several engines, a second table gives the speed columns again over only the schemas that
every engine compiled (engines refuse different schemas, and the large ones dominate the tails).
--details adds the counts by corpus source and the most frequent compile errors.
Standard library only.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter


def percentile(values, p):
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def load_jsonl(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        sys.exit("%s: %s" % (path, e))


def score(corpus, results, path):
    if len(results) != len(corpus):
        sys.exit("%s: %d result lines for %d corpus lines" % (path, len(results), len(corpus)))
    s = {"schemas": len(corpus), "compiled": 0, "accepts_invalid": 0, "invalid_checked": 0,
         "rejects_valid": 0, "valid_checked": 0, "excluded_accepted": 0, "excluded": 0,
         "mask": [], "compile": [], "errors": Counter(), "by_source": {}, "failures": [],
         "per_schema": {}}
    for n, (case, res) in enumerate(zip(corpus, results), 1):
        for key in ("compiled", "tests"):
            if key not in res:
                sys.exit("%s: line %d: missing field %r" % (path, n, key))
        src = case.get("id", "?").split("/")[0]
        b = s["by_source"].setdefault(src, Counter())
        b["schemas"] += 1
        if not res["compiled"]:
            s["errors"][normalize_error(res.get("error"))] += 1
            continue
        s["compiled"] += 1
        b["compiled"] += 1
        s["compile"].append(res.get("compile_us", 0) / 1000)
        s["per_schema"][n] = (res.get("compile_us", 0) / 1000, [u for r in res["tests"] for u in r.get("mask_us", [])])
        if len(res["tests"]) != len(case["tests"]):
            sys.exit("%s: line %d: %d test results for %d tests" % (path, n, len(res["tests"]), len(case["tests"])))
        for test, r in zip(case["tests"], res["tests"]):
            s["mask"].extend(r.get("mask_us", []))
            if test["valid"]:
                s["valid_checked"] += 1
                b["valid"] += 1
                if not r["accepted"]:
                    s["rejects_valid"] += 1
                    b["rejects_valid"] += 1
                    s["failures"].append(("rejects valid", case.get("id"), test["text"]))
            elif "exclude_reason" in test:
                s["excluded"] += 1
                s["excluded_accepted"] += bool(r["accepted"])
            else:
                s["invalid_checked"] += 1
                b["invalid"] += 1
                if r["accepted"]:
                    s["accepts_invalid"] += 1
                    b["accepts_invalid"] += 1
                    s["failures"].append(("accepts invalid", case.get("id"), test["text"]))
    return s


def normalize_error(error):
    """Groups compile errors: quoted keywords stay (they name what was refused), other quoted
    text (patterns, paths, values) is blanked and numbers become N."""
    if not error:
        return "(no message)"

    def quoted(m):
        inner = m.group(0)[1:-1]
        return m.group(0) if re.fullmatch(r"\$?[A-Za-z][A-Za-z0-9_-]{0,31}", inner) else "…"
    e = re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", quoted, error)
    e = re.sub(r"(?<![A-Za-z])\d+", "N", e)
    return e[:120]


def fmt(v, digits=1):
    return "n/a" if v is None else ("%.*f" % (digits, v))


def table(rows):
    head = ["engine", "coverage", "accepts-invalid", "rejects-valid", "mask p50 µs", "mask p99 µs",
            "compile p50 ms", "compile p99 ms"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in rows:
        out.append("| " + " | ".join([
            name,
            "%.1f%% (%d/%d)" % (100 * s["compiled"] / max(1, s["schemas"]), s["compiled"], s["schemas"]),
            "%d / %d" % (s["accepts_invalid"], s["invalid_checked"]),
            "%d / %d" % (s["rejects_valid"], s["valid_checked"]),
            fmt(percentile(s["mask"], 50)), fmt(percentile(s["mask"], 99)),
            fmt(percentile(s["compile"], 50), 2), fmt(percentile(s["compile"], 99), 2),
        ]) + " |")
    return "\n".join(out)


def common_table(rows):
    """Mask and compile percentiles over the schemas every engine compiled."""
    common = set.intersection(*(set(s["per_schema"]) for _, s in rows)) if rows else set()
    head = ["engine", "schemas", "mask p50 µs", "mask p99 µs", "compile p50 ms", "compile p99 ms"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in rows:
        compile_ms = [s["per_schema"][n][0] for n in common]
        masks = [u for n in common for u in s["per_schema"][n][1]]
        out.append("| " + " | ".join([
            name, str(len(common)),
            fmt(percentile(masks, 50)), fmt(percentile(masks, 99)),
            fmt(percentile(compile_ms, 50), 2), fmt(percentile(compile_ms, 99), 2),
        ]) + " |")
    return "\n".join(out)


def details(name, s):
    out = ["", "### %s" % name, "", "| source | schemas | compiled | rejects-valid | accepts-invalid |",
           "|---|---|---|---|---|"]
    for src, b in sorted(s["by_source"].items()):
        out.append("| %s | %d | %d | %d / %d | %d / %d |" % (src, b["schemas"], b["compiled"], b["rejects_valid"],
                                                          b["valid"], b["accepts_invalid"], b["invalid"]))
    out.append("")
    out.append("Excluded invalid instances accepted: %d / %d (not counted)." % (s["excluded_accepted"], s["excluded"]))
    if s["errors"]:
        out += ["", "Most frequent compile errors:", ""]
        out += ["- %d × %s" % (n, e) for e, n in s["errors"].most_common(8)]
    if s["failures"]:
        out += ["", "First failures:", ""]
        out += ["- %s `%s`: `%s`" % (k, i, t[:80].replace("\n", "\\n").replace("`", "'"))
                for k, i, t in s["failures"][:8]]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("results", nargs="+", help="NAME=PATH (or PATH: the file name is the engine name)")
    ap.add_argument("--details", action="store_true")
    args = ap.parse_args()
    corpus = load_jsonl(args.corpus)
    rows = []
    for spec in args.results:
        name, _, path = spec.rpartition("=")
        name = name or re.sub(r"\.jsonl$", "", path.rsplit("/", 1)[-1])
        rows.append((name, score(corpus, load_jsonl(path), path)))
    n_tests = sum(len(c["tests"]) for c in corpus)
    n_excl = sum("exclude_reason" in t for c in corpus for t in c["tests"])
    print("Corpus: %s — %d schemas, %d instances (%d excluded invalid).\n" % (args.corpus, len(corpus), n_tests, n_excl))
    print(table(rows))
    if len(rows) > 1:
        print("\nSpeed over the schemas every engine above compiled:\n")
        print(common_table(rows))
    if args.details:
        for name, s in rows:
            print(details(name, s))


if __name__ == "__main__":
    main()
