#!/usr/bin/env python3
"""Long prompts through the server (docs/benchmarks.md, "Long prompts through the server"):
time to first token and peak RSS of lfm-serve and llama-server for prompts of 4k-32k tokens on
the same GGUF file, and the inter-token latency of concurrent streams while a long prompt
prefills. Standard library only.

    python3 scripts/bench_long_prompt_server.py --model FILE.gguf --llama-bin DIR \
        [--lengths 4096 8192 16384 32768] [--threads 2] [--ctx 32768] [--streams 4] \
        [--itl-length 16384] [--servers lfm-serve llama-server] [--json OUT]

Per server: one process with a 32k context; every prompt is a fresh list of random token ids
(no prefix can be reused), sent to /v1/completions with max_tokens 1 and stream true; TTFT is
the time from sending to the first streamed chunk. Peak RSS is the process's VmHWM after the
runs (the whole process lifetime). The ITL run starts `--streams` streaming requests with short
prompts, waits until each has produced tokens, sends one `--itl-length` prompt, and reports the
gaps between the streams' chunks while that prompt was in flight.
"""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402
import serverproc  # noqa: E402


def vm_hwm(pid):
    """Peak resident set size of `pid` in MiB (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def random_prompt(n, rng):
    # Ids away from the special tokens at the start of the LFM2 vocabulary.
    return [rng.randrange(1000, 60000) for _ in range(n)]


def stream_completion(port, prompt, max_tokens, on_chunk=None, timeout=3600):
    """Sends a streamed /v1/completions request; returns (ttft_s, total_s, chunk_times).
    Sampled at temperature 1 so that a random-weight model does not settle on a token whose
    text is empty (a chunk is sent only for text)."""
    body = json.dumps({"model": "model", "prompt": prompt, "max_tokens": max_tokens, "stream": True,
                       "temperature": 1.0, "seed": 1, "ignore_eos": True}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.monotonic()
    conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    res = conn.getresponse()
    if res.status != 200:
        raise RuntimeError(f"HTTP {res.status}: {res.read()[:300]!r}")
    times = []
    for data in loadgen.sse_data(res):
        if data == b"[DONE]":
            continue
        now = time.monotonic()
        obj = json.loads(data)
        text = "".join(c.get("text", "") for c in obj.get("choices", []))
        if obj.get("choices"):
            times.append(now)
            if on_chunk:
                on_chunk(now, text)
    conn.close()
    if not times:
        raise RuntimeError("no chunk received")
    return times[0] - start, time.monotonic() - start, times


def start_server(kind, args, log):
    if kind == "lfm-serve":
        flags = ["--threads", str(args.threads), "--ctx-size", str(args.ctx), "--max-num-seqs", str(args.streams + 1)]
        flags += args.lfm_flags
        return serverproc.start(args.lfm, args.model, flags, log, timeout=600)
    port = serverproc.free_port()
    env = dict(os.environ, LD_LIBRARY_PATH=args.llama_bin)
    cmd = [os.path.join(args.llama_bin, "llama-server"), "-m", args.model, "-t", str(args.threads), "-c", str(args.ctx),
           "-np", str(args.streams + 1), "-kvu", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    return serverproc.wait_healthy(proc, port, log, timeout=600)


def itl_run(port, args, rng):
    """Streams running while one long prompt prefills: their chunk gaps during the prefill."""
    ready = threading.Barrier(args.streams + 1)
    results = [None] * args.streams
    first_seen = [threading.Event() for _ in range(args.streams)]
    done = threading.Event()   # set once the long prompt's first token arrived: the streams hang up

    class HangUp(Exception):
        pass

    def stream(i):
        times = []

        def seen(now, _text):
            times.append(now)
            first_seen[i].set()
            if done.is_set():
                raise HangUp()
        try:
            ready.wait()
            stream_completion(port, random_prompt(32, rng), args.itl_stream_tokens, on_chunk=seen)
            results[i] = (None, None, times)
        except HangUp:
            results[i] = (None, None, times)
        except Exception as e:  # reported below
            results[i] = e
            first_seen[i].set()

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(args.streams)]
    for t in threads:
        t.start()
    ready.wait()
    for e in first_seen:
        e.wait(600)
    time.sleep(1.0)
    long_start = time.monotonic()
    ttft, _, _ = stream_completion(port, random_prompt(args.itl_length, rng), 1)
    long_end = long_start + ttft
    done.set()
    for t in threads:
        t.join()
    gaps, tokens_in_window, errors = [], 0, []
    for r in results:
        if isinstance(r, Exception):
            errors.append(str(r))
            continue
        times = r[2]
        for a, b in zip(times, times[1:]):
            if b > long_start and a < long_end:
                gaps.append(b - a)
        tokens_in_window += sum(1 for t in times if long_start <= t <= long_end)
    gaps.sort()

    def pct(p):
        return round(gaps[min(len(gaps) - 1, int(p / 100 * len(gaps)))] * 1000, 1) if gaps else None
    finished_after = sum(1 for r in results if not isinstance(r, Exception) and r[2][-1] > long_end)
    return {"long_prompt_tokens": args.itl_length, "long_ttft_s": round(ttft, 2), "streams": args.streams,
            "gaps": len(gaps), "itl_p50_ms": pct(50), "itl_p95_ms": pct(95), "itl_max_ms": pct(100),
            "stream_tokens_during_prefill": tokens_in_window, "streams_still_running_after": finished_after,
            "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--lfm", default=".build/release/lfm-serve")
    ap.add_argument("--llama-bin", default=os.environ.get("LLAMA_BIN", ""))
    ap.add_argument("--lengths", type=int, nargs="+", default=[4096, 8192, 16384, 32768])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ctx", type=int, default=32768)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--itl-length", type=int, default=16384, help="0 skips the ITL run")
    ap.add_argument("--itl-stream-tokens", type=int, default=4096)
    ap.add_argument("--servers", nargs="+", default=["lfm-serve", "llama-server"])
    ap.add_argument("--lfm-flags", nargs="*", default=[], help="extra lfm-serve serve flags")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--log-dir", default="bench-out")
    args = ap.parse_args()
    if "llama-server" in args.servers and not args.llama_bin:
        ap.error("--llama-bin (or LLAMA_BIN) is needed for llama-server")
    if args.ctx < max(args.lengths + [args.itl_length]) + 1:
        ap.error("--ctx must exceed the longest prompt")
    os.makedirs(args.log_dir, exist_ok=True)
    out = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "model": args.model,
           "load_start": os.getloadavg(), "servers": {}}
    for kind in args.servers:
        rng = random.Random(args.seed)
        with open(os.path.join(args.log_dir, f"long-server-{kind}.log"), "w") as log:
            proc, port = start_server(kind, args, log)
            row = {"rss_after_load_mib": round(vm_hwm(proc.pid), 1), "ttft_s": {}, "hwm_after_mib": {}}
            try:
                stream_completion(port, random_prompt(16, rng), 1)  # warm-up
                for n in args.lengths:
                    ttft, _, _ = stream_completion(port, random_prompt(n, rng), 1)
                    row["ttft_s"][n] = round(ttft, 2)
                    row["hwm_after_mib"][n] = round(vm_hwm(proc.pid), 1)
                    print(f"{kind}: {n} tokens: TTFT {ttft:.2f} s, peak RSS so far {row['hwm_after_mib'][n]:.0f} MiB", flush=True)
                if args.itl_length:
                    row["itl"] = itl_run(port, args, rng)
                    print(f"{kind}: ITL while a {args.itl_length}-token prompt prefills: {row['itl']}", flush=True)
                row["peak_rss_mib"] = round(vm_hwm(proc.pid), 1)
            finally:
                proc.terminate()
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        out["servers"][kind] = row
    out["load_end"] = os.getloadavg()
    if len(out["servers"]) == 2:
        a, b = out["servers"]["lfm-serve"], out["servers"]["llama-server"]
        out["ttft_ratio"] = {n: round(a["ttft_s"][n] / b["ttft_s"][n], 3) for n in args.lengths}
        out["peak_rss_ratio"] = round(a["peak_rss_mib"] / b["peak_rss_mib"], 3)
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
