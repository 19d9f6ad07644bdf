"""Regression tests for the hardening defects (each fails on the build before its fix):
authorization on the resolved route, drain that loses no admitted request, 429 before a
stream starts, atomic admission of n choices, write backpressure, half-closed clients, a KV
cache smaller than the context, one access-log line per request, and the smaller input checks."""
import gzip
import json
import signal
import socket
import threading
import time

import pytest

from conftest import Server


def raw_http(port, data, half_close=False, rcvbuf=None, timeout=30):
    """Sends raw bytes, optionally half-closes, and returns everything the server sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out


def post(path, body, headers=""):
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def status_of(response):
    return int(response.split(b" ", 2)[1])


CHAT = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


# 1. API key: checked on the resolved route, x-api-key accepted, several keys, metrics option.
def test_api_key_is_checked_on_every_protected_route(tmp_path):
    keyfile = tmp_path / "keys"
    keyfile.write_text("# keys\nfile-key\n\n")
    s = Server("--api-key", "k1", "--api-key", "k2", "--api-key-file", str(keyfile))
    try:
        routes = [("POST", "/chat/completions", CHAT), ("POST", "/v1/chat/completions", CHAT),
                  ("POST", "//v1/chat/completions", CHAT), ("POST", "/v1//chat/completions", CHAT),
                  ("POST", "/completions", {"prompt": "a", "max_tokens": 1}), ("GET", "/models", None),
                  ("GET", "/v1/models", None), ("POST", "/tokenize", {"prompt": "a"}),
                  ("POST", "/detokenize", {"tokens": [1]}), ("GET", "/version", None), ("GET", "/no/such/route", None)]
        for method, path, body in routes:
            st, _ = s.raw(method, path, body)
            assert st == 401, (method, path, st)
            st, _ = s.raw(method, path, body, {"Content-Type": "application/json", "Authorization": "Bearer wrong"})
            assert st == 401, (method, path, st)
        for headers in ({"Authorization": "Bearer k1"}, {"Authorization": "Bearer k2"}, {"x-api-key": "k2"},
                        {"Authorization": "Bearer file-key"}):
            st, _ = s.raw("POST", "/chat/completions", CHAT, {"Content-Type": "application/json", **headers})
            assert st == 200, headers
        assert s.raw("GET", "/health")[0] == 200
        assert s.raw("GET", "/metrics")[0] == 200
        assert "k1" not in s.logs() and "file-key" not in s.logs()
    finally:
        s.stop()
    m = Server("--api-key", "k", "--metrics-require-key")
    try:
        assert m.raw("GET", "/metrics")[0] == 401
        assert m.raw("GET", "/metrics", None, {"x-api-key": "k"})[0] == 200
        assert m.raw("GET", "/health")[0] == 200
    finally:
        m.stop()


def test_anthropic_style_key_header_with_the_openai_sdk_error_shape():
    from openai import AuthenticationError, OpenAI
    s = Server("--api-key", "sekret")
    try:
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=s.base, api_key="nope", max_retries=0).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}], max_tokens=1)
        ok = OpenAI(base_url=s.base, api_key="unused", max_retries=0, default_headers={"x-api-key": "sekret", "Authorization": ""})
        assert ok.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], max_tokens=1).choices
    finally:
        s.stop()


# 2. SIGTERM: a stream whose first chunk was sent finishes; shutdown-timeout ends streams with an error event.
def stream_through_sigterm(s, max_tokens):
    """Starts a stream, sends SIGTERM once its first bytes arrived, and returns the whole body."""
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    sock.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": max_tokens, "stream": True, "ignore_eos": True}))
    body = sock.recv(4096)
    assert b"200 OK" in body
    s.proc.send_signal(signal.SIGTERM)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    sock.close()
    return body


def test_sigterm_after_first_chunk_finishes_the_stream():
    s = Server()
    try:
        body = stream_through_sigterm(s, 400)
        assert b"data: [DONE]" in body
        assert b'"finish_reason":"length"' in body
        assert s.proc.wait(timeout=60) == 0
    finally:
        s.stop()


def test_shutdown_timeout_ends_streams_with_an_error_event_and_a_log_line():
    s = Server("--shutdown-timeout", "0.3", "--max-num-seqs", "1")
    try:
        body = stream_through_sigterm(s, 4000)
        assert b'"error"' in body and b"shutting down" in body
        assert body.rstrip().endswith(b"data: [DONE]") or b"data: [DONE]" in body
        assert s.proc.wait(timeout=60) == 0
    finally:
        s.stop()
    assert "POST /v1/chat/completions 200" in s.logs()


# 5 and 6. Admission before the response starts; n choices admitted as one unit.
def test_full_queue_refuses_a_stream_with_429_and_retry_after():
    s = Server("--max-num-seqs", "1", "--max-waiting", "1")
    socks = []
    try:
        for _ in range(2):   # one running, one waiting
            k = socket.create_connection(("127.0.0.1", s.port), timeout=60)
            k.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 3000, "stream": True, "ignore_eos": True}))
            socks.append(k)
            time.sleep(0.3)
        out = raw_http(s.port, post("/v1/chat/completions", {**CHAT, "stream": True}, "Connection: close\r\n"))
        assert status_of(out) == 429, out[:200]
        assert b"Retry-After:" in out and b"rate_limit" in out
        from openai import OpenAI, RateLimitError
        with pytest.raises(RateLimitError):
            OpenAI(base_url=s.base + "/v1", api_key="x", max_retries=0).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}], max_tokens=1, stream=True)
    finally:
        for k in socks:
            k.close()
        s.stop()


def test_n_choices_are_admitted_as_one_unit():
    s = Server("--max-num-seqs", "1", "--max-waiting", "2")
    socks = []
    try:
        st, body = s.raw("POST", "/v1/chat/completions", {**CHAT, "n": 3})
        assert st == 400 and json.loads(body)["error"]["param"] == "n"
        k = socket.create_connection(("127.0.0.1", s.port), timeout=60)   # takes the only running slot
        k.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 3000, "stream": True, "ignore_eos": True}))
        socks.append(k)
        time.sleep(0.3)
        k2 = socket.create_connection(("127.0.0.1", s.port), timeout=60)  # one of two waiting places
        k2.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 3000, "stream": True, "ignore_eos": True}))
        socks.append(k2)
        time.sleep(0.3)
        st, _ = s.raw("POST", "/v1/chat/completions", {**CHAT, "n": 2})
        assert st == 429
        # Nothing of the refused request is left behind: the last place is free at once.
        k3 = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        k3.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 1, "stream": True}))
        socks.append(k3)
        assert b"200 OK" in k3.recv(4096)
    finally:
        for k in socks:
            k.close()
        s.stop()


# 7. A client that does not read pauses its sequence instead of buffering without bound.
def metric(s, name):
    _, body = s.raw("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_non_reading_stream_client_pauses_generation():
    s = Server("--ctx-size", "4096")
    try:
        # ~20 MB of events: more than the kernel's socket buffers hold, so the server's own
        # backlog passes its high-water mark unless generation pauses.
        k = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        k.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 4000, "n": 8, "stream": True, "ignore_eos": True,
                                                 "logprobs": True, "top_logprobs": 5}))
        deadline = time.time() + 60
        last = None
        while time.time() < deadline:   # generation stops growing while nobody reads
            time.sleep(1.0)
            now = metric(s, "lfm_serve_step_tokens_count")
            if now is not None and now == last:
                break
            last = now
        assert now == last, "generation never paused"
        assert metric(s, "lfm_serve_num_requests_running") == 8   # paused, not ended
        # Reading resumes it: the stream completes.
        k.settimeout(60)
        body = b""
        while b"data: [DONE]" not in body[-64:]:
            chunk = k.recv(1 << 20)
            if not chunk:
                break
            body += chunk
        k.close()
        assert body.count(b'"finish_reason":"length"') == 8
    finally:
        s.stop()


# 8. Half-closed clients are answered.
def test_half_closed_client_gets_its_answer():
    s = Server()
    try:
        for body in (CHAT, {**CHAT, "stream": True}):
            out = raw_http(s.port, post("/v1/chat/completions", body), half_close=True)
            assert status_of(out) == 200, out[:200]
            assert (b"[DONE]" in out) if body.get("stream") else (b'"choices"' in out)
        out = raw_http(s.port, b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n", half_close=True)
        assert status_of(out) == 200
    finally:
        s.stop()


# 9. A KV cache smaller than the context lowers the served context, says so, and refuses what cannot fit.
def test_small_kv_cache_lowers_the_served_context():
    s = Server("--kv-cache-memory", "64K")
    try:
        model = json.loads(s.raw("GET", "/v1/models")[1])["data"][0]
        assert model["max_model_len"] < 4096
        assert "KV cache holds" in s.logs()
        st, body = s.raw("POST", "/v1/completions", {"prompt": "hello " * 2000, "max_tokens": 4})
        assert st == 400
        assert json.loads(body)["error"]["param"] == "prompt"
    finally:
        s.stop()


# 10. Exactly one access-log line per request, with the real outcome.
def test_disconnected_stream_leaves_one_access_line_with_its_outcome():
    s = Server("--log-format", "json")
    try:
        k = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        k.sendall(post("/v1/chat/completions", {**CHAT, "max_tokens": 3000, "stream": True, "ignore_eos": True}))
        assert b"200 OK" in k.recv(4096)
        k.close()
        time.sleep(1.0)
        s.raw("GET", "/health")
    finally:
        s.stop()
    lines = [json.loads(l) for l in s.log if l.strip()]
    chats = [l for l in lines if l["message"].startswith("POST /v1/chat/completions")]
    assert len(chats) == 1, chats
    assert chats[0].get("outcome") == "client_closed"


# 11. Smaller input checks.
def test_served_model_name_and_strict_mode():
    s = Server("--served-model-name", "served")
    try:
        _, body = s.raw("POST", "/v1/chat/completions", {**CHAT, "model": "gpt-4o"})
        assert json.loads(body)["model"] == "served"
    finally:
        s.stop()
    strict = Server("--served-model-name", "served", "--strict-model-name")
    try:
        assert strict.raw("POST", "/v1/chat/completions", {**CHAT, "model": "gpt-4o"})[0] == 404
        assert strict.raw("POST", "/v1/chat/completions", {**CHAT, "model": "served"})[0] == 200
    finally:
        strict.stop()


def test_smaller_input_checks(server):
    st, body = server.raw("POST", "/v1/chat/completions", {**CHAT, "logit_bias": {"70000": 5}})
    assert st == 400 and json.loads(body)["error"]["param"] == "logit_bias"
    st, body = server.raw("POST", "/detokenize", {"tokens": [1, 70000]})
    assert st == 400 and json.loads(body)["error"]["param"] == "tokens"
    st, body = server.raw("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": [{"text": "x"}]}]})
    assert st == 400 and "type" in json.loads(body)["error"]["param"]
    st, body = server.raw("POST", "/v1/completions", {"prompt": "x " * 5000, "max_tokens": 2})
    assert st == 400 and json.loads(body)["error"]["param"] == "prompt"
    assert "messages" not in json.loads(body)["error"]["message"]
    zipped = gzip.compress(json.dumps(CHAT).encode())
    st, body = server.raw("POST", "/v1/chat/completions", zipped, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert st == 200 and json.loads(body)["choices"]
    st, _ = server.raw("POST", "/v1/chat/completions", b"\x1f\x8b garbage", {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert st == 400
    st, _ = server.raw("POST", "/v1/chat/completions", b"{}", {"Content-Type": "application/json", "Content-Encoding": "br"})
    assert st == 415
    bomb = gzip.compress(b" " * (20 << 20))
    st, _ = server.raw("POST", "/v1/chat/completions", bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert st == 413
    out = raw_http(server.port, b"A" * 9000 + b" / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status_of(out) == 400 and b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in out
