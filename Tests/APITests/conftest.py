"""Fixtures for the API acceptance tests: real `lfm-serve serve` processes on loopback,
driven by the official `openai` Python SDK (pip install openai pytest)."""
import json
import os
import re
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("LFM_SERVE_BIN") or os.path.join(ROOT, ".build", "debug", "lfm-serve")
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "tiny-chat")


class Server:
    """One `lfm-serve serve` process on a free loopback port. Its stderr (the log) is read
    by a thread into `self.log`, so a chatty server never blocks on a full pipe."""

    def __init__(self, *extra, env=None, model=MODEL, wait=True):
        import threading
        args = [BIN, "serve", "--model", model, "--port", "0", "--threads", "2", *extra] if model else [BIN, "serve", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                     env={**os.environ, **(env or {})})
        self.log = []
        self._reader = threading.Thread(target=lambda: self.log.extend(iter(self.proc.stderr.readline, "")), daemon=True)
        self._reader.start()
        self.port = None
        if wait:
            self.wait_listening()

    def wait_listening(self, timeout=60, pattern=r"listening on [^:]+:(\d+)"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(pattern, line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            self._reader.join(5)
            raise RuntimeError("server did not start: " + "".join(self.log))
        self.base = f"http://127.0.0.1:{self.port}"

    def logs(self):
        return "".join(self.log)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        # The log reader thread may still be draining the pipe after the process exited:
        # wait for it to reach EOF, so callers see every line the server wrote.
        self._reader.join(10)

    def raw(self, method, path, body=None, headers=None):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def client(server):
    from openai import OpenAI
    return OpenAI(base_url=server.base + "/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.fixture(scope="session")
def golden():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "tiny-chat.json")) as f:
        return json.load(f)


def scripted_chat(client, case, **kw):
    """Chat Completions for a scripted-fixture golden case (greedy, the case's messages, tools and length)."""
    args = dict(model="scripted-chat", messages=case["messages"], max_tokens=case["max_new_tokens"], temperature=0)
    if case["tools"]:
        args["tools"] = case["tools"]
    args.update(kw)
    return client.chat.completions.create(**args)


def think_tokens(server, case):
    """The tokens of transformers' greedy output up to the end of </think> (the output opens
    with <think>; each tag spans several tokens)."""
    ids = case["greedy_ids"]
    for k in range(1, len(ids) + 1):
        status, body = server.raw("POST", "/detokenize", {"tokens": ids[:k]})
        if "</think>" in json.loads(body)["content"]:
            assert case["greedy_text"].startswith("<think>")
            return k
    raise AssertionError("no </think> in the greedy output")
