"""The pieces of the local fleet test (scripts/fleet_test.py): `lfm-serve` replicas on fixed
loopback ports, HAProxy in front of them, a background streaming load, and a generated model
big enough for prefill to matter. Standard library plus numpy/safetensors (for the model)."""
import json
import os
import signal
import socket
import subprocess
import sys
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
