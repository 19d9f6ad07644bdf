"""Hostile model files and chat templates for scripts/attack.py (docs/reliability.md "Attacks
tried"): each case is built in a scratch folder from the committed tiny fixtures, then given to
`lfm-serve serve --model`. A hostile model file must be refused at start-up with an exit status
(not a signal) and a message naming the file, within a time bound; a hostile chat template must
leave the server up and turn each chat request into a bounded-time 4xx JSON error.
Standard library only."""
import http.client
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import serverproc


def _copy(src, dst):
    if os.path.isdir(src):
        shutil.copytree(src, dst)
    else:
        shutil.copy(src, dst)
    return dst


def _patch_safetensors(path, edit):
    """Rewrites the JSON header of the safetensors file at `path` with `edit(header)`."""
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    edit(header)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + data[8 + n:])


def _first_tensor(header):
    return next(k for k in header if k != "__metadata__")


def model_cases(fixtures, scratch):
    """(attack, expected, path to give --model) for hostile model files."""
    chat, gguf = os.path.join(fixtures, "tiny-chat"), os.path.join(fixtures, "tiny-chat-q8_0.gguf")
    cases = []

    def case(name, expected, path):
        cases.append((name, expected, path))

    p = os.path.join(scratch, "truncated.gguf")
    with open(gguf, "rb") as f, open(p, "wb") as g:
        g.write(f.read(1000))
    case("GGUF cut after 1,000 bytes", "refused, names the file", p)

    p = _copy(gguf, os.path.join(scratch, "tensor-count.gguf"))
    with open(p, "r+b") as f:  # magic, version (u32), tensor_count (u64), metadata_kv_count (u64)
        f.seek(8)
        f.write(struct.pack("<Q", (1 << 63) - 1))
    case("GGUF tensor_count 2^63 - 1", "refused, names the file", p)

    p = _copy(gguf, os.path.join(scratch, "kv-count.gguf"))
    with open(p, "r+b") as f:
        f.seek(16)
        f.write(struct.pack("<Q", (1 << 64) - 1))
    case("GGUF metadata_kv_count 2^64 - 1", "refused, names the file", p)

    p = _copy(gguf, os.path.join(scratch, "string-length.gguf"))
    with open(p, "r+b") as f:  # the first metadata key's length
        f.seek(24)
        f.write(struct.pack("<Q", (1 << 62)))
    case("GGUF key length 2^62", "refused, names the file", p)

    d = _copy(chat, os.path.join(scratch, "st-header-length"))
    st = os.path.join(d, "model.safetensors")
    with open(st, "r+b") as f:
        f.write(struct.pack("<Q", (1 << 64) - 1))
    case("safetensors header length 2^64 - 1", "refused, names the file", d)

    d = _copy(chat, os.path.join(scratch, "st-offsets"))
    _patch_safetensors(os.path.join(d, "model.safetensors"),
                       lambda h: h[_first_tensor(h)].update(data_offsets=[0, 1 << 40]))
    case("safetensors data_offsets past the file", "refused, names the file", d)

    d = _copy(chat, os.path.join(scratch, "st-shape"))
    _patch_safetensors(os.path.join(d, "model.safetensors"),
                       lambda h: h[_first_tensor(h)].update(shape=[1 << 32, 1 << 32, 1 << 32]))
    case("safetensors shape overflowing 64 bits", "refused, names the file", d)

    d = _copy(chat, os.path.join(scratch, "config-layers"))
    cfg = json.load(open(os.path.join(d, "config.json")))
    cfg["num_hidden_layers"] = 1_000_000_000
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    case("config.json num_hidden_layers 10^9", "refused, names the file", d)

    d = _copy(chat, os.path.join(scratch, "tokenizer-garbage"))
    with open(os.path.join(d, "tokenizer.json"), "wb") as f:
        f.write(b'{"model": {"type": "BPE", "vocab": ' + b"[" * 100_000)
    case("tokenizer.json nested 100,000 deep", "refused, names the file", d)
    return cases


TEMPLATES = [
    ("macro that calls itself", "{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}"),
    ("loop over range(10**9)", "{% for i in range(10**9) %}{{ i }}{% endfor %}"),
    ("nested loops, 10^5 x 10^5 iterations", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
    ("string repeated 10^10 times", "{{ 'a' * 10000000000 }}"),
    ("output doubling in a loop", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}"),
]


def template_cases(fixtures, scratch):
    out = []
    for i, (name, text) in enumerate(TEMPLATES):
        d = _copy(os.path.join(fixtures, "tiny-chat"), os.path.join(scratch, f"template-{i}"))
        with open(os.path.join(d, "chat_template.jinja"), "w") as f:
            f.write(text)
        out.append((name, d))
    return out


def run_model_case(binary, path, limit=60):
    """Starts the server on a hostile file; (ok, observed)."""
    t0 = time.time()
    try:
        proc = subprocess.run([binary, "serve", "--model", path, "--host", "127.0.0.1", "--port", str(serverproc.free_port())],
                              capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return False, f"still running after {limit} s"
    text = (proc.stdout + proc.stderr).decode(errors="replace")
    secs = time.time() - t0
    named = os.path.basename(path.rstrip("/")) in text
    ok = proc.returncode > 0 and named
    last = [line for line in text.strip().splitlines() if "cannot load" in line or "error" in line.lower()]
    msg = (last[-1] if last else text.strip().splitlines()[-1] if text.strip() else "")
    msg = msg.split("] ", 1)[-1][:110]
    how = f"exit {proc.returncode}" if proc.returncode >= 0 else f"signal {-proc.returncode}"
    return ok, f"{how} in {secs:.1f} s: {msg}"


def run_template_case(binary, path, log, limit=30):
    """Serves a hostile chat template; (ok, observed, after)."""
    with open(log, "w") as lf:
        proc, port = serverproc.start(binary, path, ["--threads", "1"], lf, 120)
    try:
        t0 = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=limit)
        c.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        secs = time.time() - t0
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = None
        ok = 400 <= r.status < 500 and message is not None and secs < limit
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/health")
        health = c.getresponse().status
        after = "alive, /health 200" if proc.poll() is None and health == 200 else f"/health {health}, exit {proc.poll()}"
        return ok and health == 200, f"{r.status} in {secs:.2f} s: {(message or body.decode(errors='replace'))[:90]}", after
    except Exception as e:  # noqa: BLE001 - a broken connection is the finding
        return False, f"client error {type(e).__name__}: {e}", f"exit {proc.poll()}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def rows(binary, fixtures, only=None):
    """The attack-table rows of the model-file and template attacks."""
    with tempfile.TemporaryDirectory(prefix="lfm-attack-") as scratch:
        for name, expected, path in model_cases(fixtures, scratch):
            if only and only not in name:
                continue
            t0 = time.time()
            ok, observed = run_model_case(binary, path)
            yield {"class": "Model files", "attack": name, "expected": expected, "observed": observed,
                   "after": "start-up refused", "pass": ok, "seconds": round(time.time() - t0, 2)}
        for name, path in template_cases(fixtures, scratch):
            if only and only not in name:
                continue
            t0 = time.time()
            ok, observed, after = run_template_case(binary, path, os.path.join(scratch, "template.log"))
            yield {"class": "Templates", "attack": f"chat template: {name}", "expected": "4xx JSON error, bounded",
                   "observed": observed, "after": after, "pass": ok, "seconds": round(time.time() - t0, 2)}
