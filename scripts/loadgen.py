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

Fleet workloads (scripts/fleet_test.py imports this module):

    --system-prompts 8 --shared-prefix-words 400   each request takes one of 8 system prompts
                                                   (drawn at random, seeded) and a unique user
    --prefix-header X-Prefix-Hash                  sends a hash of the system prompt in this
                                                   header, for a prefix-affine balancer
    --duration 60                                  keep issuing requests for 60 s (bounded)
                                                   instead of a fixed --requests count

Every request is classified: `ok` (HTTP 200, a finish_reason and the final `data: [DONE]`),
`truncated` (HTTP 200 but the stream ended without both), `sse_error` (HTTP 200 and an error
event in the stream), `http_<status>` (e.g. 429, 503),
or `conn_error` (no response: refused, reset before the status line, timeout).
"""
import argparse
import hashlib
import http.client
import json
import random
import threading
import time
import urllib.parse

WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by "
         "word but not what all were we when your can said there use an each which she do how their if will up other "
         "about out many then them these so some her would make like him into time has look two more write go see "
         "number no way could people my than first water been call who oil its now find long down day did get come "
         "made may part").split()


def sse_data(resp):
    """Yields the payload of every `data:` line of a server-sent event stream as it arrives
    (bytes, `[DONE]` included), reading `resp` (an http.client response) to its end."""
    buf = b""
    while True:
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(1)
        if not chunk:
            return
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data:"):
                    yield line[5:].strip()


def one_request(url, body, out, headers=None, timeout=600):
    """Sends one streaming chat request and appends its record to `out`: start/end times,
    token arrival stamps, HTTP status, finish_reason, whether [DONE] arrived, and `outcome`."""
    u = urllib.parse.urlparse(url)
    t0 = time.perf_counter()
    rec = {"start": t0, "stamps": [], "status": None, "finish_reason": None, "done": False}
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
    except (OSError, http.client.HTTPException) as e:
        rec.update(end=time.perf_counter(), outcome="conn_error", error=f"{type(e).__name__}: {e}")
        out.append(rec)
        return
    rec["status"] = resp.status
    if resp.status != 200:
        try:
            detail = resp.read()[:200]
        except (OSError, http.client.HTTPException):
            detail = b""
        conn.close()
        rec.update(end=time.perf_counter(), outcome=f"http_{resp.status}", error=f"HTTP {resp.status}: {detail!r}",
                   retry_after=resp.getheader("Retry-After"))
        out.append(rec)
        return
    stamps = rec["stamps"]
    error = None
    try:
        for data in sse_data(resp):
            if data == b"[DONE]":
                rec["done"] = True
                continue
            obj = json.loads(data)
            if "error" in obj:
                error = f"SSE error event: {obj['error']}"
            for c in obj.get("choices", []):
                d = c.get("delta", {})
                if d.get("content") or d.get("reasoning_content"):
                    stamps.append(time.perf_counter())
                if c.get("finish_reason"):
                    rec["finish_reason"] = c["finish_reason"]
    except (OSError, http.client.HTTPException, ValueError) as e:
        error = f"{type(e).__name__}: {e}"
    conn.close()
    rec["end"] = time.perf_counter()
    if rec["done"] and rec["finish_reason"] and error is None:
        rec["outcome"] = "ok"
    elif error and error.startswith("SSE error event"):
        rec["outcome"] = "sse_error"  # HTTP 200, then an error event instead of tokens
        rec["error"] = error
    else:
        rec["outcome"] = "truncated"
        rec["error"] = error or f"stream ended without {'[DONE]' if not rec['done'] else 'a finish_reason'}"
    out.append(rec)


def prefix_hash(system):
    """A short stable hash of a system prompt (the prefix-affinity key)."""
    return hashlib.sha1((system or "").encode()).hexdigest()[:16]


# The structured-output workload's schema (--json-schema builtin): open-ended string items, so
# a random-weight model keeps generating under the constraint until max_tokens.
BUILTIN_SCHEMA = {"type": "object", "properties": {
    "title": {"type": "string"}, "count": {"type": "integer"},
    "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "ok": {"type": "boolean"}},
                                         "required": ["name", "ok"], "additionalProperties": False}}},
    "required": ["title", "count", "items"], "additionalProperties": False}


def make_bodies(model, count, max_tokens, system_prompts, seed=0, start=0, schema=None):
    """`count` request bodies, each with a system prompt drawn at random (seeded) from
    `system_prompts` (none if empty) and a unique user question; with `schema`, each asks for
    JSON following it (`response_format` json_schema)."""
    rng = random.Random(seed * 1_000_003 + start)
    bodies = []
    for i in range(start, start + count):
        system = rng.choice(system_prompts) if system_prompts else None
        q = f"Request {i}: " + " ".join(rng.choice(WORDS) for _ in range(8 if system else 12)) + "?"
        msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": q}]
        body = {"model": model, "messages": msgs, "max_tokens": max_tokens, "temperature": 0, "stream": True, "ignore_eos": True}
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
        bodies.append(body)
    return bodies


def system_prompts(count, words, seed=0):
    """`count` distinct system prompts of `words` words each."""
    rng = random.Random(seed)
    return [f"System prompt {k}. " + " ".join(rng.choice(WORDS) for _ in range(words)) for k in range(count)]


def run_load(url, concurrency, next_body, stop, prefix_header=None, timeout=600):
    """Runs `concurrency` workers; each takes bodies from `next_body()` (None: stop) until
    `stop()` is true. Returns the records in completion order."""
    results = []
    lock = threading.Lock()

    def worker():
        while not stop():
            with lock:
                body = next_body()
            if body is None:
                return
            headers = {}
            if prefix_header:
                sys_msgs = [m["content"] for m in body["messages"] if m["role"] == "system"]
                headers[prefix_header] = prefix_hash(sys_msgs[0] if sys_msgs else "")
            local = []
            one_request(url, body, local, headers, timeout)
            with lock:
                results.extend(local)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def summarize(results, wall):
    """Counts by outcome and latency percentiles of the successful requests."""
    ok = [r for r in results if r["outcome"] == "ok"]
    outcomes = {}
    for r in results:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    tokens = sum(len(r["stamps"]) for r in ok)
    ttft = [r["stamps"][0] - r["start"] for r in ok if r["stamps"]]
    itl = [b - a_ for r in ok for a_, b in zip(r["stamps"], r["stamps"][1:])]
    return {"requests_done": len(results), "ok": len(ok), "outcomes": outcomes, "errors": len(results) - len(ok),
            "wall_s": round(wall, 3), "completion_tokens": tokens, "aggregate_tok_s": round(tokens / wall, 2) if wall else 0,
            "ttft_p50_s": round(pct(ttft, 50), 4), "ttft_p95_s": round(pct(ttft, 95), 4),
            "itl_p50_ms": round(1000 * pct(itl, 50), 2), "itl_p95_ms": round(1000 * pct(itl, 95), 2)}


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
    ap.add_argument("--system-prompts", type=int, default=1, help="distinct system prompts (with --shared-prefix-words)")
    ap.add_argument("--prefix-header", help="send a hash of the system prompt in this header")
    ap.add_argument("--duration", type=float, default=0, help="issue requests for this many seconds (at most 3600)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--label", default="")
    ap.add_argument("--json-schema", help="constrain every answer: 'builtin' or a JSON Schema file")
    a = ap.parse_args()
    schema = None
    if a.json_schema:
        schema = BUILTIN_SCHEMA if a.json_schema == "builtin" else json.load(open(a.json_schema))

    prompts = system_prompts(a.system_prompts, a.shared_prefix_words, a.seed) if a.shared_prefix_words else []
    if prompts and a.system_prompts == 1:
        rng = random.Random(a.seed)  # the single shared prompt of the benchmarks, as before
        prompts = [" ".join(rng.choice(WORDS) for _ in range(a.shared_prefix_words))]
    duration = min(a.duration, 3600)
    issued = [0]

    def next_body():
        if not duration and issued[0] >= a.requests:
            return None
        issued[0] += 1
        return make_bodies(a.model, 1, a.max_tokens, prompts, a.seed, issued[0] - 1, schema)[0]

    t0 = time.perf_counter()
    deadline = t0 + duration
    results = run_load(a.url, a.concurrency, next_body, (lambda: time.perf_counter() >= deadline) if duration else (lambda: False),
                       a.prefix_header)
    wall = time.perf_counter() - t0
    summary = {"label": a.label, "url": a.url, "concurrency": a.concurrency, "requests": len(results), "max_tokens": a.max_tokens,
               "shared_prefix_words": a.shared_prefix_words, "system_prompts": len(prompts), **summarize(results, wall)}
    print(json.dumps(summary))
    errors = [r for r in results if r["outcome"] != "ok"]
    if errors:
        print("first error:", errors[0].get("error"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
