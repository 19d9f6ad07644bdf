#!/usr/bin/env python3
"""Load generator for OpenAI-compatible servers (lfm-serve, llama-server, vLLM).

Runs N concurrent streaming chat clients and reports aggregate completion tokens/s, time to
first token (TTFT) and inter-token latency (ITL) percentiles. Standard library only.

    python3 scripts/loadgen.py --url http://127.0.0.1:8080 --concurrency 16 --requests 16 \
        --max-tokens 128 [--shared-prefix-words 600] [--json out.json]

Every request asks for exactly --max-tokens tokens (`ignore_eos`, which lfm-serve, vLLM and
llama-server all accept) at temperature 0. With --shared-prefix-words, every request starts
with the same system prompt of that many words followed by a unique user question (the
"shared system prompt" workload); otherwise prompts are short and unique.
"""
import argparse
import http.client
import json
import random
import statistics
import threading
import time
import urllib.parse

WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by "
         "word but not what all were we when your can said there use an each which she do how their if will up other "
         "about out many then them these so some her would make like him into time has look two more write go see "
         "number no way could people my than first water been call who oil its now find long down day did get come "
         "made may part").split()


def one_request(url, body, out):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    t0 = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        out.append({"error": f"HTTP {resp.status}: {resp.read()[:200]!r}"})
        return
    stamps = []
    buf = b""
    while True:
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(1)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data: "):
                    continue
                data = line[6:]
                if data == b"[DONE]":
                    continue
                obj = json.loads(data)
                for c in obj.get("choices", []):
                    d = c.get("delta", {})
                    if d.get("content") or d.get("reasoning_content"):
                        stamps.append(time.perf_counter())
    conn.close()
    end = time.perf_counter()
    out.append({"start": t0, "end": end, "stamps": stamps})


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--model", default="model")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--requests", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--shared-prefix-words", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--label", default="")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    system = " ".join(rng.choice(WORDS) for _ in range(a.shared_prefix_words)) if a.shared_prefix_words else None
    bodies = []
    for i in range(a.requests):
        q = f"Request {i}: " + " ".join(rng.choice(WORDS) for _ in range(8 if system else 12)) + "?"
        msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": q}]
        bodies.append({"model": a.model, "messages": msgs, "max_tokens": a.max_tokens, "temperature": 0,
                       "stream": True, "ignore_eos": True})

    results = []
    lock = threading.Lock()
    pending = list(bodies)

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                body = pending.pop(0)
            local = []
            one_request(a.url, body, local)
            with lock:
                results.extend(local)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    errors = [r["error"] for r in results if "error" in r]
    ok = [r for r in results if "error" not in r]
    tokens = sum(len(r["stamps"]) for r in ok)
    ttft = [r["stamps"][0] - r["start"] for r in ok if r["stamps"]]
    itl = [b - a_ for r in ok for a_, b in zip(r["stamps"], r["stamps"][1:])]
    summary = {
        "label": a.label, "url": a.url, "concurrency": a.concurrency, "requests": a.requests, "max_tokens": a.max_tokens,
        "shared_prefix_words": a.shared_prefix_words, "errors": len(errors), "wall_s": round(wall, 3),
        "completion_tokens": tokens, "aggregate_tok_s": round(tokens / wall, 2),
        "ttft_p50_s": round(pct(ttft, 50), 3), "ttft_p95_s": round(pct(ttft, 95), 3),
        "itl_p50_ms": round(1000 * pct(itl, 50), 2), "itl_p95_ms": round(1000 * pct(itl, 95), 2),
    }
    print(json.dumps(summary))
    if errors:
        print("first error:", errors[0])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
