"""Operating the server: configuration layers (file < env < flag), bad values, --help,
/health across load → ready → drain, SIGTERM/SIGHUP, access log lines with token counts,
JSON logs. Real server processes; the openai SDK where a client is needed."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import BIN, MODEL, ROOT, Server


def serve_table():
    doc = open(os.path.join(ROOT, "docs", "configuration.md")).read()
    section = doc.split("### `lfm-serve serve`")[1].split("\n### ")[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `--"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append((cells[0].strip("`"), cells[1].strip("`"), cells[2].strip("`")))
    return rows


def test_help_lists_every_flag_with_its_default():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    rows = serve_table()
    assert len(rows) >= 20
    for flag, env, default in rows:
        assert flag in text, flag
        # Each flag's help ends with its default, as docs/configuration.md states it.
        after = text[text.index(flag):]
        assert f"(default: {default})" in after[:400], (flag, default, after[:400])
    assert "OTHER COMMANDS" in out.stdout and "complete" in out.stdout


def test_config_file_then_environment_then_flag(tmp_path):
    cfg = tmp_path / "lfm.json"
    cfg.write_text(json.dumps({"_comment": "test", "served-model-name": "from-file", "api-key": "file-key",
                               "max_body_bytes": "1K"}))
    s = Server("--config", str(cfg), "--max-body-bytes", "4K",
               env={"LFM_SERVE_API_KEY": "env-key", "LFM_SERVE_MAX_BODY_BYTES": "2K"})
    try:
        def get(path, key, body=None):
            req = urllib.request.Request(s.base + path, data=body, method="POST" if body else "GET",
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        status, body = get("/v1/models", "env-key")           # env beats file for api-key
        assert status == 200 and json.loads(body)["data"][0]["id"] == "from-file"   # file beats the default
        assert get("/v1/models", "file-key")[0] == 401
        big = json.dumps({"prompt": "x" * 3000, "max_tokens": 1}).encode()   # 3 KB: over env's 2K, under the flag's 4K
        assert get("/v1/completions", "env-key", big)[0] == 200
    finally:
        s.stop()
    assert "served-model-name from config file" in s.logs()
    assert "api-key from environment variable LFM_SERVE_API_KEY" in s.logs()
    assert "env-key" not in s.logs() and "file-key" not in s.logs()


@pytest.mark.parametrize("args,env,needle", [
    (["--max-num-seqs", "lots"], {}, "invalid value for 'max-num-seqs' from flag --max-num-seqs: \"lots\" — expected a whole number"),
    ([], {"LFM_SERVE_KV_CACHE_MEMORY": "huge"}, "invalid value for 'kv-cache-memory' from environment variable LFM_SERVE_KV_CACHE_MEMORY: \"huge\""),
    ([], {"LFM_SERVE_LOG_FORMAT": "xml"}, "expected one of text, json"),
    (["--port", "99999"], {}, "expected a whole number in 0…65535"),
    (["--ssl-certfile", "/nonexistent.pem", "--ssl-keyfile", "/nonexistent.key"], {}, "expected a readable PEM file"),
])
def test_bad_values_fail_at_startup_naming_key_source_value(args, env, needle):
    out = subprocess.run([BIN, "serve", "--model", MODEL, "--port", "0", *args], capture_output=True, text=True, timeout=30,
                         env={**os.environ, **env})
    assert out.returncode == 78, out
    assert needle in out.stderr, out.stderr
    assert "listening" not in out.stdout


def test_flags_come_from_the_settings_and_typos_are_named():
    out = subprocess.run([BIN, "--model", MODEL, "--max-num-seq", "8"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 64, out
    assert "unknown option '--max-num-seq'; did you mean '--max-num-seqs'?" in out.stderr
    out = subprocess.run([BIN, "serve", "--model", MODEL, "--port"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 64 and "option '--port' needs a value" in out.stderr
    for args in (["--help"], ["serve", "--help"], ["help", "serve"]):
        text = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30).stdout
        assert "--max-num-seqs <max-num-seqs>" in text and "--prefix-cache/--no-prefix-cache" in text, (args, text)
        assert "--config <config>" in text and "--loop-guard <loop-guard>" in text


def test_bad_config_file_fails_naming_the_file(tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"max_num_seq": 4}')
    out = subprocess.run([BIN, "serve", "--model", MODEL, "--port", "0"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "LFM_SERVE_CONFIG": str(cfg)})
    assert out.returncode == 78
    assert f"unknown key 'max_num_seq' in config file {cfg}" in out.stderr
    cfg.write_text('{"port": 80,}')
    out = subprocess.run([BIN, "serve", "--config", str(cfg)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 78 and f"config file {cfg} is not valid JSON" in out.stderr


def health(s):
    try:
        with urllib.request.urlopen(s.base + "/health", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health_goes_loading_ready_draining_and_sigterm_lets_the_stream_finish(tmp_path):
    # A model folder whose config.json is a FIFO: loading blocks until the test writes it,
    # so /health can be seen answering 503 "loading" (the server listens before loading).
    model = tmp_path / "model"
    model.mkdir()
    for f in os.listdir(MODEL):
        if f != "config.json":
            os.symlink(os.path.join(MODEL, f), model / f)
    os.mkfifo(model / "config.json")
    s = Server("--shutdown-timeout", "60", model=None, wait=False, env={"LFM_SERVE_MODEL": str(model), "LFM_SERVE_PORT": "0"})
    try:
        s.wait_listening(pattern=r"bound to [^:]+:(\d+)")
        assert health(s) == (503, {"status": "unavailable", "reason": "loading model"})
        status, _ = s.raw("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]})
        assert status == 503
        # Every open of the FIFO by the loader (probes included) takes one write of the content.
        content = open(os.path.join(MODEL, "config.json")).read()
        deadline = time.time() + 30
        while health(s)[0] != 200 and time.time() < deadline:
            try:
                fd = os.open(model / "config.json", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:   # no reader at the moment
                time.sleep(0.05)
                continue
            try:
                os.set_blocking(fd, True)
                os.write(fd, content.encode())
            except BrokenPipeError:
                pass
            finally:
                os.close(fd)
            time.sleep(0.05)
        assert health(s) == (200, {"status": "ok"})

        # A long stream, read slowly, so it is still running when SIGTERM arrives.
        import http.client
        out = {}
        started = threading.Event()

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=120)
            conn.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "go"}],
                         "max_tokens": 1000, "stream": True, "ignore_eos": True}), {"Content-Type": "application/json"})
            r = conn.getresponse()
            chunks = []
            while True:
                line = r.readline()
                if not line:
                    break
                chunks.append(line.decode())
                if len(chunks) == 10:
                    started.set()
            out["body"] = "".join(chunks)

        t = threading.Thread(target=client)
        t.start()
        assert started.wait(30)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        assert s.proc.poll() is None, "exited before the stream finished"
        assert health(s) == (503, {"status": "unavailable", "reason": "draining"})
        status, body = s.raw("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "late"}], "max_tokens": 2})
        assert status == 503 and b"draining" in body
        t.join(120)
        assert s.proc.wait(timeout=60) == 0
        body = out["body"]
        assert body.rstrip().endswith("data: [DONE]")
        assert '"finish_reason":"length"' in body
        assert "draining" in s.logs() and "stopped" in s.logs()
    finally:
        if s.proc.poll() is None:
            s.proc.kill()


def test_sighup_is_logged_and_ignored():
    s = Server()
    try:
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert s.proc.poll() is None
        assert health(s)[0] == 200
        assert "SIGHUP ignored" in s.logs()
    finally:
        s.stop()


def test_json_logs_with_one_access_line_per_request_carrying_tokens():
    from openai import OpenAI
    s = Server("--log-format", "json", "--served-model-name", "tiny")
    try:
        c = OpenAI(base_url=s.base + "/v1", api_key="x", max_retries=0)
        c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=4,
                                  extra_body={"ignore_eos": True})
        stream = c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=5,
                                           stream=True, extra_body={"ignore_eos": True})
        for _ in stream:
            pass
        c.completions.create(model="tiny", prompt="abc", max_tokens=3, extra_body={"ignore_eos": True})
        s.raw("GET", "/health")
        time.sleep(0.2)
    finally:
        s.stop()
    lines = [json.loads(l) for l in s.log if l.strip()]   # every line is one JSON object
    access = [l for l in lines if l["message"].startswith(("POST ", "GET "))]
    chats = [l for l in access if l["message"] == "POST /v1/chat/completions 200"]
    assert [int(l["completion_tokens"]) for l in chats] == [4, 5]
    assert all(int(l["prompt_tokens"]) > 0 and "cached_tokens" in l and float(l["duration_ms"]) > 0 and l["request_id"]
               for l in chats)
    comp = [l for l in access if l["message"] == "POST /v1/completions 200"]
    assert len(comp) == 1 and comp[0]["completion_tokens"] == "3"
    assert any(l["message"] == "GET /health 200" for l in access)
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", l["timestamp"]) for l in lines)
    assert any(l["level"] == "notice" and l["message"].startswith("serving tiny") for l in lines)
