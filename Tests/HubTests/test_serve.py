"""`lfm-serve serve --model owner/name`: downloads, then serves under the Hub id."""
import json
import re
import subprocess
import time
import urllib.request

from hub_support import BIN, CHAT, GGUF


class Served:
    def __init__(self, env, model, *extra):
        self.proc = subprocess.Popen([BIN, "serve", "--model", model, "--port", "0", "--threads", "2", *extra], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        self.port = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on [^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start: " + self.proc.stderr.read())

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
            return json.loads(r.read())

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.stderr.read()


def chat(server, model):
    return server.post("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "Hello!"}],
                                                "max_tokens": 4, "temperature": 0})


def test_serve_a_hub_model_by_name(env, hub):
    s = Served(env, CHAT)
    try:
        assert [m["id"] for m in s.get("/v1/models")["data"]] == [CHAT]
        r = chat(s, CHAT)
        assert r["model"] == CHAT
        assert r["usage"]["completion_tokens"] >= 1
    finally:
        log = s.stop()
    assert len(hub.seen("cdn", "GET")) >= 1
    assert "model.safetensors" in log

    # Restarted offline, it serves the same model from the cache without any request.
    hub.reset()
    env["HF_HUB_OFFLINE"] = "1"
    s = Served(env, CHAT, "--served-model-name", "tiny")
    try:
        assert [m["id"] for m in s.get("/v1/models")["data"]] == ["tiny"]
        assert chat(s, "tiny")["choices"][0]["message"]["content"] is not None
    finally:
        s.stop()
    assert hub.requests == []


def test_serve_a_gguf_quantization(env, hub):
    s = Served(env, GGUF + ":Q8_0")
    try:
        assert [m["id"] for m in s.get("/v1/models")["data"]] == [GGUF]
        assert chat(s, GGUF)["usage"]["completion_tokens"] >= 1
    finally:
        s.stop()


def test_serve_fails_clearly_for_a_missing_repo(env, hub):
    p = subprocess.run([BIN, "serve", "--model", "LiquidAI/nope", "--port", "0", "--threads", "2"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "repository LiquidAI/nope not found" in p.stderr


def test_local_path_wins_over_a_hub_id(env, hub, tmp_path):
    import os
    import shutil
    from hub_support import MODELS
    local = tmp_path / "LiquidAI" / "tiny-chat"
    shutil.copytree(os.path.join(MODELS, "tiny-chat"), local)
    p = subprocess.run([BIN, "complete", "--model", "LiquidAI/tiny-chat", "--prompt", "Hi", "--max-tokens", "1", "--threads", "2"],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert hub.requests == []


def test_other_subcommands_take_hub_ids(env, hub):
    from hub_support import lfm
    r = lfm(env, "tokenize", "--model", CHAT, "Hello")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("[")
    hub.reset()
    env["HF_HUB_OFFLINE"] = "1"
    r = lfm(env, "complete", "--model", CHAT, "--prompt", "Hi", "--max-tokens", "1", "--threads", "2")
    assert r.returncode == 0, r.stderr
    assert hub.requests == []
