"""scripts/grammar_report.py scores grammar-check result files as issue 15 defines the columns:
excluded invalid instances are not counted, uncompiled schemas count only against coverage,
and a result file that does not match the corpus is refused with a message naming it."""
import json
import os
import subprocess
import sys

import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
import grammar_report  # noqa: E402

CORPUS = [
    {"id": "suite/a", "schema": {"type": "integer"}, "tests": [
        {"text": "1", "valid": True}, {"text": "\"x\"", "valid": False},
        {"text": "[1,1]", "valid": False, "exclude_reason": "uniqueItems"}]},
    {"id": "function/b", "schema": {"type": "string"}, "tests": [
        {"text": "\"s\"", "valid": True}, {"text": "2", "valid": False}]},
    {"id": "schemastore/c", "schema": {"not": {}}, "tests": [{"text": "1", "valid": False}]},
]
RESULTS = [
    {"compiled": True, "error": None, "compile_us": 2000, "tests": [
        {"accepted": True, "tokens": 1, "mask_us": [10, 20]},
        {"accepted": True, "tokens": 3, "mask_us": [30, 40, 50, 60]},
        {"accepted": True, "tokens": 5, "mask_us": [1]}]},
    {"compiled": True, "error": None, "compile_us": 4000, "tests": [
        {"accepted": False, "tokens": 3, "mask_us": [5]},
        {"accepted": False, "tokens": 1, "mask_us": [7]}]},
    {"compiled": False, "error": "unsupported keyword 'not' at /not", "compile_us": 5, "tests": []},
]


def test_score_counts_as_defined():
    s = grammar_report.score(CORPUS, RESULTS, "results.jsonl")
    assert (s["schemas"], s["compiled"]) == (3, 2)
    assert (s["accepts_invalid"], s["invalid_checked"]) == (1, 2)   # the excluded one is not counted
    assert (s["excluded_accepted"], s["excluded"]) == (1, 1)
    assert (s["rejects_valid"], s["valid_checked"]) == (1, 2)
    assert sorted(s["compile"]) == [2.0, 4.0]                         # ms, compiled schemas only
    assert sorted(s["mask"]) == [1, 5, 7, 10, 20, 30, 40, 50, 60]
    assert sum(s["errors"].values()) == 1


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert grammar_report.percentile(values, 50) == 50
    assert grammar_report.percentile(values, 99) == 99
    assert grammar_report.percentile([7], 99) == 7
    assert grammar_report.percentile([], 50) is None


def test_table_row():
    s = grammar_report.score(CORPUS, RESULTS, "results.jsonl")
    row = grammar_report.table([("ours", s)]).splitlines()[2]
    assert row == "| ours | 66.7% (2/3) | 1 / 2 | 1 / 2 | 20.0 | 60.0 | 2.00 | 4.00 |"


def test_common_table_uses_only_schemas_every_engine_compiled():
    ours = grammar_report.score(CORPUS, RESULTS, "ours.jsonl")
    # The peer compiles only the second schema, with other timings.
    peer_results = [dict(RESULTS[0], compiled=False, error="refused", tests=[]),
                    dict(RESULTS[1], compile_us=1000, tests=[dict(t, mask_us=[3]) for t in RESULTS[1]["tests"]]),
                    RESULTS[2]]
    peer = grammar_report.score(CORPUS, peer_results, "peer.jsonl")
    lines = grammar_report.common_table([("ours", ours), ("peer", peer)]).splitlines()
    assert lines[2] == "| ours | 1 | 5.0 | 7.0 | 4.00 | 4.00 |"    # schema 2 only: masks 5, 7; compile 4 ms
    assert lines[3] == "| peer | 1 | 3.0 | 3.0 | 1.00 | 1.00 |"


def test_mismatched_results_are_refused(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(c) + "\n" for c in CORPUS))
    short = tmp_path / "short.jsonl"
    short.write_text("".join(json.dumps(r) + "\n" for r in RESULTS[:2]))
    p = subprocess.run([sys.executable, os.path.join(SCRIPTS, "grammar_report.py"), str(corpus), "x=%s" % short],
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert "short.jsonl: 2 result lines for 3 corpus lines" in p.stderr
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in RESULTS))
    p = subprocess.run([sys.executable, os.path.join(SCRIPTS, "grammar_report.py"), str(corpus), "x=%s" % good],
                       capture_output=True, text=True, check=True)
    assert "| x | 66.7% (2/3) |" in p.stdout


@pytest.mark.parametrize("error,expected", [
    (None, "(no message)"),
    ("unsupported keyword 'uniqueItems' at /items/3", "unsupported keyword 'uniqueItems' at /items/N"),
    ("pattern '^[a-z]+$' at line 12", "pattern … at line N"),
    ('Unimplemented keys: ["not", "if"]', 'Unimplemented keys: ["not", "if"]'),
])
def test_errors_are_grouped(error, expected):
    assert grammar_report.normalize_error(error) == expected
