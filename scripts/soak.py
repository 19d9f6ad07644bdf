#!/usr/bin/env python3
"""Soak test (docs/reliability.md "Soak"): mixed traffic against one lfm-serve process for a
fixed time, then checks that its resources return to their baseline. Standard library only.

    python3 scripts/soak.py --bin .build/release/lfm-serve --model MODEL [--minutes 30]
        [--workers 6] [--json out.json] [-- extra serve flags]

The script starts the server itself (on 127.0.0.1, a free port) so it can read the process's
RSS (/proc/PID/status VmRSS) and open file descriptors (/proc/PID/fd), and the engine's KV
pages from /metrics. After a warm-up (one request of every kind) it records the baseline,
then `--workers` threads send, for `--minutes`, a random mix of:

    stream        streamed chat, 16-128 tokens, read to the end
    disconnect    streamed chat, the client closes the socket after 0-20 events
    n             non-streamed chat with n = 2-4 choices
    long          a 1,000-2,500-word prompt through /v1/completions, 4 tokens
    cancel        non-streamed chat whose client gives up (closes) after 50-500 ms
    schema        chat with a response_format json_schema, 32 tokens
    tools         chat with a tool and tool_choice "required"
    bad           malformed JSON / unknown field types (must be 4xx, never 5xx)

Every 10 s it samples RSS, fds, KV pages (free, prefix-cached, total), running and waiting.
At the end it waits for the engine to be idle and compares with the baseline: fds equal,
every KV page free or prefix-cached (none held by a sequence), RSS at the end within
--rss-slack of the RSS a third of the way in (the KV pool and prefix cache fill first, up to
--kv-cache-memory; growth after that would be a leak), and no 5xx or connection error. The exit
status is 1 when a check fails.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import serverproc

WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by "
         "word but not what all were we when your can said there use an each which she do how their if").split()
SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
                                           "age": {"type": "integer", "minimum": 0, "maximum": 120},
                                           "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3}},
          "required": ["name", "age"], "additionalProperties": False}
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 16}},
                                                        "required": ["city"]}}}
KINDS = ["stream", "disconnect", "n", "long", "cancel", "schema", "tools", "bad"]


class Server:
    def __init__(self, binary, model, extra, log_path):
        self.log = open(log_path, "w")
        self.proc, self.port = serverproc.start(binary, model, ["--no-access-log", *extra], self.log)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    def sample(self):
        pid = self.proc.pid
        rss = serverproc.rss(pid)
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        metrics = {}
        for line in self.get("/metrics")[1].decode().splitlines():
            if line.startswith("#") or " " not in line:
                continue
            name, value = line.rsplit(" ", 1)
            metrics[name.split("{")[0]] = float(value)
        return {"t": time.time(), "rss": rss, "fds": fds,
                "pages_total": metrics.get("lfm_serve_kv_cache_pages_total"),
                "pages_free": metrics.get("lfm_serve_kv_cache_pages_free"),
                "pages_cached": metrics.get("lfm_serve_prefix_cache_pages"),
                "running": metrics.get("lfm_serve_num_requests_running"),
                "waiting": metrics.get("lfm_serve_num_requests_waiting")}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def request(port, kind, rng):
    """Sends one request of `kind`; returns its outcome: 'ok', 'client_closed', 'http_<status>' or 'conn_error'."""
    user = f"{rng.randrange(10**9)} {words(rng, 12)}"
    path, body, stream, raw = "/v1/chat/completions", {"messages": [{"role": "user", "content": user}], "temperature": 1.0,
                                                      "seed": rng.randrange(1 << 30)}, False, None
    if kind in ("stream", "disconnect"):
        body.update(stream=True, max_tokens=rng.randint(16, 128), ignore_eos=True)
        stream = True
    elif kind == "n":
        body.update(n=rng.randint(2, 4), max_tokens=rng.randint(8, 48))
    elif kind == "long":
        path, body = "/v1/completions", {"prompt": f"{rng.randrange(10**9)} " + words(rng, rng.randint(1000, 2500)), "max_tokens": 4}
    elif kind == "cancel":
        body.update(max_tokens=256, ignore_eos=True)
    elif kind == "schema":
        body.update(max_tokens=32, response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}},
                    stream=rng.random() < 0.5)
        stream = body["stream"]
    elif kind == "tools":
        body.update(max_tokens=48, tools=[TOOL], tool_choice="required")
    elif kind == "bad":
        raw = rng.choice([b'{"messages": [', b'{"messages": 5}', b'{"messages": [{"role": "user", "content": 7}]}',
                          b'{"prompt": "x", "max_tokens": -3}', b'\xff\xfe'])
    timeout = rng.uniform(0.05, 0.5) if kind == "cancel" else 600
    data = raw if raw is not None else json.dumps(body).encode()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", path, data, {"Content-Type": "application/json"})
        r = c.getresponse()
        if kind == "disconnect":
            for _ in range(rng.randint(0, 20)):
                if not r.fp.readline():
                    break
            c.close()
            return "client_closed"
        payload = r.read()
        c.close()
        if r.status != 200:
            return f"http_{r.status}"
        if stream and b"data: [DONE]" not in payload:
            return "truncated"
        return "ok"
    except socket.timeout:
        return "client_closed" if kind == "cancel" else "conn_error"
    except (OSError, http.client.HTTPException):
        return "conn_error"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss-slack", type=float, default=0.25, help="allowed RSS growth over the baseline (fraction)")
    ap.add_argument("--json")
    ap.add_argument("--log", default="/tmp/soak-server.log")
    ap.add_argument("extra", nargs="*", help="extra serve flags (after --)")
    a = ap.parse_args()

    server = Server(a.bin, a.model, a.extra, a.log)
    counts, lock = {}, threading.Lock()
    rng = random.Random(a.seed)
    try:
        for kind in KINDS:  # warm-up: every path once, so lazily built state is in the baseline
            request(server.port, kind, rng)
        idle(server)
        baseline = server.sample()
        samples = [baseline]
        stop_at = time.time() + a.minutes * 60

        def worker(i):
            wrng = random.Random(a.seed * 1000 + i)
            while time.time() < stop_at:
                kind = wrng.choice(KINDS)
                outcome = request(server.port, kind, wrng)
                with lock:
                    counts.setdefault(kind, {}).setdefault(outcome, 0)
                    counts[kind][outcome] += 1

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.workers)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(10)
            samples.append(server.sample())
            print(json.dumps({k: samples[-1][k] for k in ("rss", "fds", "pages_free", "pages_cached", "running", "waiting")}), flush=True)
        idle(server)
        final = server.sample()
    finally:
        server.stop()

    peak = max(s["rss"] for s in samples)
    failures = []
    if final["fds"] != baseline["fds"]:
        failures.append(f"fds {baseline['fds']} -> {final['fds']}")
    if final["pages_free"] + final["pages_cached"] != final["pages_total"]:
        failures.append(f"KV pages held after idle: total {final['pages_total']}, free {final['pages_free']}, cached {final['pages_cached']}")
    # The KV pool and the prefix cache fill during the first minutes (memory touched on first
    # use, up to --kv-cache-memory), so growth is judged against the RSS a third of the way in.
    third = next((s for s in samples if s["t"] >= baseline["t"] + a.minutes * 20), final)
    if final["rss"] > third["rss"] * (1 + a.rss_slack):
        failures.append(f"RSS {third['rss'] >> 20} MiB at a third of the run -> {final['rss'] >> 20} MiB at the end")
    bad = {k: {o: n for o, n in v.items() if o.startswith("http_5") or o in ("conn_error", "truncated")} for k, v in counts.items()}
    bad = {k: v for k, v in bad.items() if v}
    if bad:
        failures.append(f"failed requests: {bad}")
    report = {"minutes": a.minutes, "workers": a.workers, "counts": counts, "requests": sum(sum(v.values()) for v in counts.values()),
              "baseline": baseline, "third": third, "final": final, "peak_rss": peak, "samples": samples, "failures": failures,
              "loadavg": os.getloadavg()}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    mib = lambda b: f"{b / 2**20:.1f} MiB"
    print(f"requests: {report['requests']} in {a.minutes} min; by kind and outcome: {json.dumps(counts)}")
    print(f"RSS baseline {mib(baseline['rss'])}, at a third {mib(third['rss'])}, peak {mib(peak)}, final {mib(final['rss'])}; "
          f"fds {baseline['fds']} -> {final['fds']}; KV pages total {final['pages_total']:.0f}, "
          f"free {baseline['pages_free']:.0f} -> {final['pages_free']:.0f}, prefix-cached {baseline['pages_cached']:.0f} -> {final['pages_cached']:.0f}")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    sys.exit(1 if failures else 0)


def idle(server, timeout=120):
    """Waits until no request runs or waits (the engine released every sequence)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = server.sample()
        if not s["running"] and not s["waiting"] and s["pages_free"] + s["pages_cached"] == s["pages_total"]:
            time.sleep(1)  # the last responses' sockets close
            return
        time.sleep(0.5)


if __name__ == "__main__":
    main()
