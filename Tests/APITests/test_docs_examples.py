"""Every curl example in docs/api.md runs against a real server and returns JSON or SSE."""
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT

DOC = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
EXAMPLES = [b.strip() for b in re.findall(r"```sh\n(.*?)```", DOC, re.S) if b.strip().startswith("curl")]


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("cmd", EXAMPLES)
def test_curl_example(server, cmd):
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "BASE": server.base})
    assert out.returncode == 0, out.stderr
    body = out.stdout.strip()
    if body.startswith("data:"):
        events = [l[6:] for l in body.splitlines() if l.startswith("data: ")]
        assert events[-1] == "[DONE]"
        for e in events[:-1]:
            assert "error" not in json.loads(e)
    elif body.startswith("event:"):
        # Named events (Anthropic Messages, Responses): each payload's type is its event name,
        # no error, and the stream ends with the API's last event.
        blocks = [b.splitlines() for b in body.split("\n\n") if b.startswith("event:")]
        types = []
        for lines in blocks:
            data = json.loads("".join(l[6:] for l in lines if l.startswith("data: ")))
            assert data["type"] == lines[0][7:] and data["type"] not in ("error", "response.failed"), data
            types.append(data["type"])
        assert types[-1] in ("message_stop", "response.completed", "response.incomplete"), types
    else:
        doc = json.loads(body)
        assert doc.get("error") is None and doc.get("type") != "error", doc


def test_dockerfile_environment_uses_real_settings():
    config_doc = open(os.path.join(ROOT, "docs", "configuration.md"), encoding="utf-8").read()
    known = set(re.findall(r"`(LFM_SERVE_[A-Z_]+)`", config_doc))
    dockerfile = open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8").read()
    used = set(re.findall(r"\b(LFM_SERVE_[A-Z_]+)=", dockerfile))
    assert used and used <= known, used - known


def test_benchmark_plot_data_matches_the_tables():
    """docs/benchmarks.json (the plots' data) holds the numbers the tables of docs/benchmarks.md show."""
    doc = open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8").read()
    data = json.load(open(os.path.join(ROOT, "docs", "benchmarks.json")))
    numbers = []
    for r in data["single_stream"]["rows"]:
        numbers += [r["lfm_pp512"], r["peer_pp512"], r["lfm_tg128"], r["peer_tg128"]]
    for r in data["serving"]["rows"] + data.get("batched_decode", {}).get("rows", []):
        numbers += [r["lfm"], r["peer"]]
    long = data.get("long_prompts", {})
    for r in long.get("rows", []):
        numbers += [r["lfm_ttft_s"], r["peer_ttft_s"]]
        for mib in (r["lfm_rss_mib"], r["peer_rss_mib"]):
            assert f"{mib:.0f} MiB" in doc, mib
    for r in long.get("bench", []):
        numbers += [r["lfm"], r["peer"]]
    for n in numbers:
        assert f"{n:.1f}" in doc or f"{n:.2f}" in doc, n
    for img in re.findall(r"\]\((img/[^)]+\.png)\)", doc):
        assert os.path.exists(os.path.join(ROOT, "docs", img)), img



def test_reliability_numbers_match_the_results():
    """docs/reliability.md shows the numbers of docs/reliability.json (the fleet-test run)."""
    doc = open(os.path.join(ROOT, "docs", "reliability.md"), encoding="utf-8").read()
    data = json.load(open(os.path.join(ROOT, "docs", "reliability.json")))
    runs = [r for key, group in data.items() if not key.startswith("_") for r in group]
    assert {r["scenario"].split(" ")[0] for r in runs} >= {"rolling", "SIGKILL", "overload", "prefix-affine"}
    for r in runs:
        if "modes" in r:
            for m in r["modes"].values():
                for text in (f"{m['ttft_p50_s']:.2f} s", f"{100 * m['prefix_hit_rate_pages']:.1f} %",
                             f"{100 * m['cached_prompt_token_share']:.1f} %"):
                    assert text in doc, text
        else:
            row = f"| {r['requests_done']:,} | {r['ok']:,} |" if "clients" in r else f"| {r['requests_done']} | {r['ok']} |"
            assert row in doc, row
