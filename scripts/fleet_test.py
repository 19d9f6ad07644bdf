#!/usr/bin/env python3
"""Local fleet test: N `lfm-serve` replicas on loopback behind HAProxy, under continuous
streaming load from scripts/loadgen.py. Run through scripts/fleet-test.sh (which builds the
release binary and checks for haproxy); results are described in docs/reliability.md.

Scenarios (each bounded in time; all traffic to 127.0.0.1):
  rolling   every replica in turn gets SIGTERM, is restarted on its port and waits until healthy
            again, while the load runs: counts failed and truncated requests.
  kill      one replica gets SIGKILL mid-load: in-flight requests on it fail (counted), requests
            started after the balancer's health check took it out must all succeed; it is then
            restarted and must rejoin (serve requests again).
  prefix    8 system prompts x many users (each request draws one at random), round-robin vs
            prefix-affine routing (HAProxy hashes a header the load generator sets from the system
            prompt; plain consistent hashing, and consistent hashing with bounded loads): TTFT p50
            and prefix-cache hit rate from the replicas' /metrics, for each mode.

  overload  one replica, 10x more concurrent clients than --max-num-seqs + --max-waiting: every
            request must get a complete answer or a 429 with Retry-After; p99 latency of the
            admitted requests and the process's peak RSS.

Prints one JSON object per scenario and writes them all to --json.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "tiny-chat")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=2):
    """(status, body) of a GET, or (None, error) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        return None, str(e).encode()


def scrape(port):
    """The samples of a replica's /metrics as {name{labels}: value} (text format, no client lib)."""
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    out = {}
    if status != 200:
        return out
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


class Replica:
    """One `lfm-serve serve` process on a fixed loopback port (restartable on the same port)."""

    def __init__(self, name, binary, port, extra, logdir, model=MODEL):
        self.name, self.binary, self.port, self.extra, self.model = name, binary, port, extra, model
        self.log_path = os.path.join(logdir, f"{name}.log")
        self.proc = None
        self.starts = 0

    def start(self, timeout=60):
        self.starts += 1
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.binary, "serve", "--model", self.model, "--served-model-name", "tiny-chat",
                                      "--host", "127.0.0.1", "--port", str(self.port), *self.extra],
                                     stdout=log, stderr=log, cwd=ROOT)
        log.close()
        return self.wait_healthy(timeout)

    def wait_healthy(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            if get(f"http://127.0.0.1:{self.port}/health")[0] == 200:
                return True
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not healthy within {timeout} s; see {self.log_path}")

    def terminate(self, timeout=60):
        """SIGTERM, then waits for the exit: (exit status, seconds the drain took)."""
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.time() - t0

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.terminate(timeout=40)


class HAProxy:
    """HAProxy in the foreground (-db) over the replicas; its stats page (CSV) shows server states."""

    def __init__(self, replicas, mode, workdir, l7_retries=True):
        self.port, self.stats_port = free_port(), free_port()
        # Retry a request HAProxy could not deliver (refused, closed without answer) or that a
        # draining replica answered 503, on the other replica: the window between SIGTERM and
        # the next failed health check. The whole request body is buffered so it can be resent.
        retries = ("retries 3\n    retry-on conn-failure empty-response 503\n    option redispatch 1\n    option http-buffer-request"
                   if l7_retries else "# no retry-on / redispatch: HAProxy defaults")
        balance = {"roundrobin": "balance roundrobin",
                   "prefix": "balance hdr(X-Prefix-Hash)\n    hash-type consistent",
                   # consistent hashing with bounded loads: no server takes more than 125 % of the average
                   "prefix-bounded": "balance hdr(X-Prefix-Hash)\n    hash-type consistent\n    hash-balance-factor 125"}[mode]
        servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} check" for r in replicas)
        self.config = f"""global
    maxconn 2000
    log stderr format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout http-request 10s
    timeout queue 10s
frontend api
    bind 127.0.0.1:{self.port}
    default_backend lfm
backend lfm
    {balance}
    option httpchk GET /health
    http-check expect status 200
    default-server inter 250ms fall 1 rise 2
    {retries}
{servers}
listen stats
    bind 127.0.0.1:{self.stats_port}
    stats enable
    stats uri /stats
"""
        self.path = os.path.join(workdir, f"haproxy-{mode}.cfg")
        with open(self.path, "w") as f:
            f.write(self.config)
        self.log = open(os.path.join(workdir, f"haproxy-{mode}.log"), "a")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.path], stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 10
        while time.time() < deadline and set(self.states().values()) != {"UP"}:
            time.sleep(0.05)

    def states(self):
        """Server name -> status (UP, DOWN, ...) from the stats CSV."""
        status, body = get(f"http://127.0.0.1:{self.stats_port}/stats;csv")
        if status != 200:
            return {}
        out = {}
        lines = body.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "lfm" and row.get("svname") not in ("FRONTEND", "BACKEND"):
                out[row["svname"]] = row["status"].split(" ")[0]
        return out

    def wait_state(self, name, state, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.states().get(name) == state:
                return time.time()
            time.sleep(0.05)
        raise RuntimeError(f"haproxy: {name} not {state} within {timeout} s")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Load:
    """Continuous streaming load in a background thread until `finish()` (bounded by max_seconds)."""

    def __init__(self, url, concurrency, max_tokens, prompts, max_seconds, prefix_header=None):
        self.stopped = False
        self.t0 = time.perf_counter()
        deadline = self.t0 + max_seconds
        count = [0]

        def next_body():
            count[0] += 1
            return loadgen.make_bodies("tiny-chat", 1, max_tokens, prompts, 0, count[0])[0]

        def run():
            self.results = loadgen.run_load(url, concurrency, next_body,
                                            lambda: self.stopped or time.perf_counter() >= deadline, prefix_header, timeout=60)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finish(self):
        self.stopped = True
        self.thread.join(120)
        self.wall = time.perf_counter() - self.t0
        return self.results


def failures(results, t0):
    return [{"outcome": r["outcome"], "start_s": round(r["start"] - t0, 3), "end_s": round(r["end"] - t0, 3),
             "error": r.get("error", "")[:160]} for r in results if r["outcome"] != "ok"]


def requests_served(port):
    return sum(v for k, v in scrape(port).items() if k.startswith("lfm_serve_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\""))


def scenario_rolling(replicas, args, workdir):
    lb = HAProxy(replicas, "roundrobin", workdir, l7_retries=not args.no_retries)
    prompts = loadgen.system_prompts(8, 60)
    load = Load(lb.url, args.concurrency, args.max_tokens, prompts, max_seconds=args.budget)
    events = []
    try:
        time.sleep(args.settle)
        for r in [r for _ in range(args.rounds) for r in replicas]:
            t = time.perf_counter() - load.t0
            rc, drain = r.terminate(timeout=60)
            r.start()
            lb.wait_state(r.name, "UP")
            events.append({"replica": r.name, "sigterm_at_s": round(t, 2), "exit_status": rc, "drain_s": round(drain, 2),
                           "up_in_haproxy_after_s": round(time.perf_counter() - load.t0 - t, 2)})
            time.sleep(args.settle)
    finally:
        results = load.finish()
        lb.stop()
    s = loadgen.summarize(results, load.wall)
    return {"scenario": "rolling restart (SIGTERM each replica in turn)", "haproxy_retries": not args.no_retries,
            "replicas": len(replicas), "rounds": args.rounds,
            "concurrency": args.concurrency,
            "max_tokens": args.max_tokens, "events": events, **s, "failures": failures(results, load.t0)[:20]}


def scenario_kill(replicas, args, workdir):
    lb = HAProxy(replicas, "roundrobin", workdir, l7_retries=not args.no_retries)
    prompts = loadgen.system_prompts(8, 60)
    load = Load(lb.url, args.concurrency, args.max_tokens, prompts, max_seconds=args.budget)
    victim = replicas[0]
    try:
        time.sleep(args.settle)
        t_kill, t_kill_wall = time.perf_counter(), time.time()
        victim.kill()
        t_down = lb.wait_state(victim.name, "DOWN", timeout=10)
        time.sleep(args.settle)
        victim.start()
        t_restart = time.perf_counter()
        lb.wait_state(victim.name, "UP")
        time.sleep(args.settle)
        served_after_rejoin = requests_served(victim.port)  # a new process: its counters start at 0
    finally:
        results = load.finish()
        lb.stop()
    detect = t_down - t_kill_wall
    fails = failures(results, load.t0)
    kill_s = t_kill - load.t0
    in_flight = [f for f in fails if f["start_s"] <= kill_s]
    later = [f for f in fails if f["start_s"] > kill_s]
    s = loadgen.summarize(results, load.wall)
    return {"scenario": "SIGKILL one replica mid-load", "haproxy_retries": not args.no_retries, "replicas": len(replicas), "concurrency": args.concurrency,
            "max_tokens": args.max_tokens, "killed": victim.name, "kill_at_s": round(kill_s, 2),
            "marked_down_after_s": round(detect, 3), "restarted_at_s": round(t_restart - load.t0, 2),
            "in_flight_failed": len(in_flight), "failed_after_kill": len(later),
            "requests_served_by_restarted_replica": int(served_after_rejoin), **s, "failures": fails[:20]}


def make_prefill_model(outdir):
    """A random-weight LFM2 checkpoint big enough that prefill costs real time (hidden 384,
    8 layers of which 2 attention, F16, ≈ 44 M parameters), with tiny-chat's tokenizer and chat
    template: the prefix-routing comparison needs prefill to dominate time to first token,
    which the 3-layer fixture model cannot show. Written to `outdir`; nothing is committed."""
    import shutil
    import numpy as np
    from safetensors.numpy import save_file
    D, N, F, V, Hq, Hkv, hd = 384, 8, 1536, 65536, 6, 2, 64
    attn = {2, 5}
    rng = np.random.default_rng(0)

    def w(*shape, scale=0.02):
        return (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float16)

    t = {"model.embed_tokens.weight": w(V, D), "model.embedding_norm.weight": np.ones(D, np.float16)}
    for i in range(N):
        p = f"model.layers.{i}."
        t.update({p + "operator_norm.weight": np.ones(D, np.float16), p + "ffn_norm.weight": np.ones(D, np.float16),
                  p + "feed_forward.w1.weight": w(F, D), p + "feed_forward.w3.weight": w(F, D), p + "feed_forward.w2.weight": w(D, F)})
        if i in attn:
            t.update({p + "self_attn.q_proj.weight": w(Hq * hd, D), p + "self_attn.k_proj.weight": w(Hkv * hd, D),
                      p + "self_attn.v_proj.weight": w(Hkv * hd, D), p + "self_attn.out_proj.weight": w(D, Hq * hd),
                      p + "self_attn.q_layernorm.weight": np.ones(hd, np.float16),
                      p + "self_attn.k_layernorm.weight": np.ones(hd, np.float16)})
        else:
            t.update({p + "conv.in_proj.weight": w(3 * D, D), p + "conv.out_proj.weight": w(D, D),
                      p + "conv.conv.weight": w(D, 1, 3, scale=0.3)})
    os.makedirs(outdir, exist_ok=True)
    save_file(t, os.path.join(outdir, "model.safetensors"), metadata={"format": "pt"})
    cfg = json.load(open(os.path.join(MODEL, "config.json")))
    cfg.update({"hidden_size": D, "intermediate_size": F, "num_hidden_layers": N, "num_attention_heads": Hq,
                "num_key_value_heads": Hkv, "layer_types": ["full_attention" if i in attn else "conv" for i in range(N)],
                "dtype": "float16"})
    json.dump(cfg, open(os.path.join(outdir, "config.json"), "w"), indent=1)
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
        shutil.copy(os.path.join(MODEL, f), outdir)
    return outdir


def scenario_prefix(binary, args, workdir):
    out = {"scenario": "prefix-affine vs round-robin routing", "system_prompts": 8, "system_prompt_words": args.prefix_words,
           "requests": args.prefix_requests, "concurrency": args.concurrency, "max_tokens": 8, "modes": {}}
    prompts = loadgen.system_prompts(8, args.prefix_words, seed=1)
    model = make_prefill_model(os.path.join(workdir, "prefill-model"))
    out["model"] = "random-weight LFM2, hidden 384, 8 layers (2 attention), F16"
    out["replica_args"] = args.replica_args + args.prefix_replica_args
    for mode in ("roundrobin", "prefix", "prefix-bounded"):
        reps = [Replica(f"r{i}", binary, free_port(), args.replica_args + args.prefix_replica_args, workdir, model)
                for i in range(args.replicas)]
        for r in reps:
            r.start()
        lb = HAProxy(reps, mode, workdir)
        try:
            issued = [0]

            def next_body():
                if issued[0] >= args.prefix_requests:
                    return None
                issued[0] += 1
                return loadgen.make_bodies("tiny-chat", 1, 8, prompts, 2, issued[0] - 1)[0]

            t0 = time.perf_counter()
            results = loadgen.run_load(lb.url, args.concurrency, next_body, lambda: False,
                                       None if mode == "roundrobin" else "X-Prefix-Hash", timeout=60)
            wall = time.perf_counter() - t0
            m = [scrape(r.port) for r in reps]
        finally:
            lb.stop()
            for r in reps:
                r.stop()
        q = sum(x.get("lfm_serve_prefix_cache_queries_total", 0) for x in m)
        h = sum(x.get("lfm_serve_prefix_cache_hits_total", 0) for x in m)
        pt = sum(x.get("lfm_serve_prompt_tokens_total", 0) for x in m)
        ct = sum(x.get("lfm_serve_cached_prompt_tokens_total", 0) for x in m)
        s = loadgen.summarize(results, wall)
        out["modes"][mode] = {"ok": s["ok"], "errors": s["errors"], "wall_s": s["wall_s"], "ttft_p50_s": s["ttft_p50_s"],
                              "ttft_p95_s": s["ttft_p95_s"], "prefix_hit_rate_pages": round(h / q, 4) if q else 0,
                              "cached_prompt_token_share": round(ct / pt, 4) if pt else 0,
                              "requests_per_replica": [int(sum(v for k, v in x.items() if k.startswith("lfm_serve_requests_total{")))
                                                       for x in m],
                              "preemptions": int(sum(x.get("lfm_serve_preemptions_total", 0) for x in m))}
    return out


def scenario_overload(binary, args, workdir):
    seqs, waiting = 4, 4
    clients = 10 * (seqs + waiting)
    r = Replica("overload", binary, free_port(), args.replica_args + ["--max-num-seqs", str(seqs), "--max-waiting", str(waiting)],
                workdir)
    r.start()
    try:
        rss0 = scrape(r.port).get("lfm_serve_process_resident_memory_bytes", 0)
        prompts = loadgen.system_prompts(8, 60)
        count = [0]

        def next_body():
            count[0] += 1
            return loadgen.make_bodies("tiny-chat", 1, args.max_tokens, prompts, 3, count[0])[0]

        t0 = time.perf_counter()
        deadline = t0 + args.overload_seconds
        results = loadgen.run_load(f"http://127.0.0.1:{r.port}", clients, next_body, lambda: time.perf_counter() >= deadline,
                                   timeout=60)
        wall = time.perf_counter() - t0
        with open(f"/proc/{r.proc.pid}/status") as f:
            hwm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
        rss1 = scrape(r.port).get("lfm_serve_process_resident_memory_bytes", 0)
    finally:
        r.stop()
    ok = [x for x in results if x["outcome"] == "ok"]
    e2e = [x["end"] - x["start"] for x in ok]
    rejected = [x for x in results if x["outcome"] == "http_429"]
    s = loadgen.summarize(results, wall)
    return {"scenario": "overload (10x max-num-seqs + max-waiting)", "max_num_seqs": seqs, "max_waiting": waiting,
            "clients": clients, "seconds": args.overload_seconds, "max_tokens": args.max_tokens, **s,
            "http_429_with_retry_after": sum(1 for x in rejected if x.get("retry_after")),
            "admitted_e2e_p50_s": round(loadgen.pct(e2e, 50), 3), "admitted_e2e_p99_s": round(loadgen.pct(e2e, 99), 3),
            "rss_before_mb": round(rss0 / 2**20, 1), "rss_after_mb": round(rss1 / 2**20, 1), "peak_rss_mb": round(hwm / 2**20, 1),
            "failures": failures(results, t0)[:10]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "lfm-serve"))
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--scenarios", default="rolling,kill,prefix,overload")
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=2, help="rolling restarts of the whole fleet")
    ap.add_argument("--settle", type=float, default=4, help="seconds of load between events")
    ap.add_argument("--budget", type=float, default=180, help="upper bound of one load phase, seconds")
    ap.add_argument("--prefix-words", type=int, default=400)
    ap.add_argument("--prefix-requests", type=int, default=240)
    ap.add_argument("--no-retries", action="store_true", help="HAProxy without retry-on / redispatch / request buffering (health checks only)")
    ap.add_argument("--overload-seconds", type=float, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()
    a.replica_args = ["--threads", "1", "--shutdown-timeout", "30", "--access-log"]
    # Each replica can keep about 5 of the 8 system prompts cached (16 KiB per 16-token page of
    # the prefill model, ≈ 26 pages a prompt): round robin makes both replicas cycle through all
    # 8, prefix affinity 4 each.
    a.prefix_replica_args = ["--kv-cache-memory", "2M", "--ctx-size", "1024"]
    workdir = tempfile.mkdtemp(prefix="lfm-fleet-")
    # Other work on the machine skews latencies: record the load next to the numbers.
    def machine():
        return {"cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
                "haproxy": subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.split("\n")[0]}
    print(f"logs and configs in {workdir}", file=sys.stderr)
    report = []
    names = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    if {"rolling", "kill"} & set(names):
        replicas = [Replica(f"r{i}", a.bin, free_port(), a.replica_args, workdir) for i in range(a.replicas)]
        try:
            for r in replicas:
                r.start()
            for name in names:
                if name in ("rolling", "kill"):
                    result = {**(scenario_rolling if name == "rolling" else scenario_kill)(replicas, a, workdir), "machine": machine()}
                    print(json.dumps(result), flush=True)
                    report.append(result)
        finally:
            for r in replicas:
                r.stop()
    if "overload" in names:
        result = {**scenario_overload(a.bin, a, workdir), "machine": machine()}
        print(json.dumps(result), flush=True)
        report.append(result)
    if "prefix" in names:
        result = {**scenario_prefix(a.bin, a, workdir), "machine": machine()}
        print(json.dumps(result), flush=True)
        report.append(result)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
