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
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402
from fleet_cluster import (ROOT, HAProxy, Load, Replica, failures, free_port, make_prefill_model,  # noqa: E402
                           requests_served, scrape)


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
    shutil.rmtree(model, ignore_errors=True)  # ≈ 90 MB; the logs stay
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
