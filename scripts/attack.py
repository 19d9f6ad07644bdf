#!/usr/bin/env python3
"""Attack run (docs/reliability.md "Attacks tried"): hostile clients against one lfm-serve
process, each checked for the answer it must get and for harm to everyone else. Standard
library only.

    python3 scripts/attack.py --bin .build/release/lfm-serve --model Tests/Fixtures/models/tiny-chat \
        [--markdown] [--json out.json]

The script starts the server (127.0.0.1, a free port, `--max-body-bytes 64K --idle-timeout 5`
so limits are reached quickly) and runs every attack in turn. An attack passes when its
answer is the expected one (a 4xx with a JSON error, a closed connection, a bounded time)
and, after it, the server is still alive (same PID), `/health` answers 200 and an ordinary
chat request completes. Then hostile model files and chat templates (scripts/attack_models.py),
each given to its own `lfm-serve serve --model`. Prints one row per attack (class, attack,
expected, observed, result); exit status 1 if any failed.
"""
import argparse
import gzip
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time

import attack_models
import serverproc


class Target:
    def __init__(self, binary, model, log):
        self.log = open(log, "w")
        self.proc, self.port = serverproc.start(binary, model, ["--max-body-bytes", "64K", "--idle-timeout", "5", "--max-num-seqs", "4",
                                                                "--max-waiting", "8", "--threads", "1", "--no-access-log"], self.log, 120)

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body, headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def raw(self, payload, timeout=10, half_close=False, read=True):
        """Sends raw bytes; returns what came back before the server closed or `timeout`."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(payload)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        if read:
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                    if not half_close and b"\r\n\r\n" in out and response_complete(out):
                        break
            except socket.timeout:
                pass
        s.close()
        return out

    def healthy(self):
        if self.proc.poll() is not None:
            return f"server exited ({self.proc.returncode})"
        try:
            st, _ = self.request("GET", "/health", timeout=30)
            if st != 200:
                return f"/health {st}"
            st, body = self.request("POST", "/v1/chat/completions",
                                    json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}),
                                    {"Content-Type": "application/json"}, timeout=60)
            if st != 200 or "choices" not in json.loads(body):
                return f"chat {st}"
        except Exception as e:  # noqa: BLE001 - any failure is harm
            return f"{type(e).__name__}: {e}"
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def response_complete(buf):
    head, _, body = buf.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return b"transfer-encoding: chunked" not in head.lower() or body.endswith(b"0\r\n\r\n")


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def json_error(resp):
    body = resp.partition(b"\r\n\r\n")[2]
    try:
        return "error" in json.loads(body)
    except ValueError:
        return False


CHAT = b"/v1/chat/completions"


def post(path, body, extra=b"", ctype=b"application/json"):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype + b"\r\nContent-Length: " +
            str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def chat_body(**fields):
    return json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, **fields}).encode()


def expect_status(*codes, json_body=True):
    def check(resp):
        st = status_of(resp)
        ok = st in codes and (not json_body or json_error(resp))
        return ok, f"{st}" + ("" if not json_body or json_error(resp) else " (no JSON error)")
    return check


def attacks(t):
    """(class, attack, expected, run) where run() returns (ok, observed)."""
    big_header = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    many_headers = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(2000)) + b"\r\n"
    bomb = gzip.compress(b"{" + b" " * (32 << 20) + b"}")  # 32 MiB of JSON whitespace in ~32 KB
    nested = b"[" * 100_000 + b"]" * 100_000

    def raw(payload, check, **kw):
        return lambda: check(t.raw(payload, **kw))

    def trickle(head, piece, limit):
        """Sends `head`, then `piece` once a second; passes when the server closes first."""
        s = socket.create_connection(("127.0.0.1", t.port), timeout=30)
        t0 = time.time()
        try:
            s.sendall(head)
            while time.time() - t0 < limit:
                s.sendall(piece)
                time.sleep(1)
            return False, f"still open after {limit} s"
        except OSError:
            return True, f"closed after {time.time() - t0:.1f} s"
        finally:
            s.close()

    def slowloris():
        return trickle(b"GET /health HTTP/1.1\r\n", b"X-a: b\r\n", 25)

    def slow_body():
        return trickle(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
                       b" ", 80)

    def non_reader():
        rss0 = serverproc.rss(t.proc.pid)
        socks = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", t.port), timeout=30)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(post(CHAT, chat_body(max_tokens=4000, ignore_eos=True, stream=True)))
            socks.append(s)
        time.sleep(10)
        grown = serverproc.rss(t.proc.pid) - rss0
        harm = t.healthy()
        for s in socks:
            s.close()
        return grown < (64 << 20) and harm is None, f"RSS +{grown >> 20} MiB in 10 s; others: {harm or 'served'}"

    def half_close():
        resp = t.raw(post(CHAT, chat_body()), half_close=True, timeout=60)
        return status_of(resp) == 200, f"{status_of(resp)}"

    def pipelined():
        one = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        s = socket.create_connection(("127.0.0.1", t.port), timeout=10)
        s.sendall(one * 3 + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                out += c
        except socket.timeout:
            pass
        s.close()
        n = out.count(b"HTTP/1.1 200")
        return n == 4, f"{n} responses in order"

    def conn_flood():
        socks = []
        try:
            for _ in range(800):
                socks.append(socket.create_connection(("127.0.0.1", t.port), timeout=10))
        except OSError as e:
            return False, f"refused after {len(socks)}: {e}"
        harm = t.healthy()
        for s in socks:
            s.close()
        return harm is None, f"800 idle connections open; others: {harm or 'served'}"

    def request_flood():
        results = []

        def one():
            try:
                st, _ = t.request("POST", "/v1/chat/completions", chat_body(max_tokens=16), {"Content-Type": "application/json"}, timeout=120)
                results.append(st)
            except Exception as e:  # noqa: BLE001
                results.append(type(e).__name__)
        ths = [threading.Thread(target=one) for _ in range(120)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        bad = [r for r in results if r not in (200, 429)]
        return not bad, f"{results.count(200)} × 200, {results.count(429)} × 429, other {bad}"

    def timed(path, body, codes, limit_s):
        def run():
            t0 = time.time()
            st, data = t.request("POST", path, body, {"Content-Type": "application/json"}, timeout=120)
            dt = time.time() - t0
            ok = st in codes and dt < limit_s
            try:
                msg = json.loads(data).get("error", {}).get("message", "")[:60]
            except ValueError:
                msg = "(not JSON)"
            return ok, f"{st} in {dt:.2f} s {msg}"
        return run

    # Built as text: Python's json module cannot encode (or the server's parser accept) 2,000 levels.
    deep_schema = '{"anyOf": [{"type": "null"}, {"type": "array", "items": ' * 2000 + '{"type": "object"}' + '}]}' * 2000
    cyclic = {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}
    wide = {"type": "object", "properties": {f"p{i}": {"anyOf": [{"type": "string", "pattern": f"^[a-z]{{{i}}}x[0-9]+$"},
                                                                  {"type": "integer", "minimum": i}]} for i in range(60)},
            "required": [f"p{i}" for i in range(60)]}
    huge_enum = {"type": "string", "enum": [f"v{i}" * 20 for i in range(20000)]}

    return [
        ("HTTP framing", "Content-Length and Transfer-Encoding together (smuggling)", "400",
         raw(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", expect_status(400, json_body=False))),
        ("HTTP framing", "two different Content-Length values", "400",
         raw(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", expect_status(400, json_body=False))),
        ("HTTP framing", "Transfer-Encoding: chunked, identity", "400 or 501",
         raw(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", expect_status(400, 501, json_body=False))),
        ("HTTP framing", "chunk size not hex / overflowing (ffffffffffffffffff)", "400",
         raw(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n0\r\n\r\n", expect_status(400, 413, json_body=False))),
        ("HTTP framing", "obsolete line folding in a header", "400",
         raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", expect_status(400, json_body=False))),
        ("HTTP framing", "NUL byte in a header value", "400",
         raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", expect_status(400, json_body=False))),
        ("HTTP framing", "9 KB method token", "400 (not echoed)",
         raw(b"A" * 9000 + b" / HTTP/1.1\r\nHost: x\r\n\r\n", lambda r: (status_of(r) == 400 and b"AAAAAAAA" not in r, f"{status_of(r)}"))),
        ("HTTP framing", "200 KB header", "431",
         raw(big_header, expect_status(431, json_body=False))),
        ("HTTP framing", "2,000 header fields", "431",
         raw(many_headers, expect_status(431, json_body=False))),
        ("HTTP framing", "4 pipelined requests in one packet", "4 answers, in order", pipelined),
        ("HTTP framing", "HTTP/1.0 without Host, then close", "answered",
         raw(b"GET /health HTTP/1.0\r\n\r\n", expect_status(200, json_body=False))),
        ("Bodies", "body over --max-body-bytes (Content-Length 10 MB)", "413",
         raw(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n{", expect_status(413, json_body=False))),
        ("Bodies", "gzip bomb (32 KB expanding to 32 MiB)", "413",
         raw(post(CHAT, bomb, b"Content-Encoding: gzip\r\n"), expect_status(413, 400))),
        ("Bodies", "unknown Content-Encoding (br)", "415",
         raw(post(CHAT, b"{}", b"Content-Encoding: br\r\n"), expect_status(415))),
        ("JSON", "100,000-deep nested arrays", "400",
         raw(post(CHAT, nested[:60000]), expect_status(400, 413))),
        ("JSON", "invalid UTF-8 in a string", "400",
         raw(post(CHAT, b'{"messages":[{"role":"user","content":"\xff\xfe"}]}'), expect_status(400))),
        ("JSON", "number 1e999999 as max_tokens", "400",
         raw(post(CHAT, b'{"messages":[{"role":"user","content":"x"}],"max_tokens":1e999999}'), expect_status(400))),
        ("JSON", "lone surrogate escape \\ud800", "400 or accepted as U+FFFD",
         raw(post(CHAT, b'{"messages":[{"role":"user","content":"\\ud800"}],"max_tokens":2}'), expect_status(400, 200, json_body=False))),
        ("API", "n = 1000", "400", raw(post(CHAT, chat_body(n=1000)), expect_status(400))),
        ("API", "max_tokens = 2^40", "400", raw(post(CHAT, chat_body(max_tokens=1 << 40)), expect_status(400))),
        ("API", "prompt longer than the context", "400",
         raw(post(b"/v1/completions", json.dumps({"prompt": "word " * 9000, "max_tokens": 1}).encode()), expect_status(400, 413))),
        ("API", "logit_bias id outside the vocabulary", "400",
         raw(post(CHAT, chat_body(logit_bias={"99999999": 5})), expect_status(400))),
        ("API", "tool parameters nested 2,000 deep", "400, bounded",
         timed("/v1/chat/completions", chat_body(tools=[{"type": "function", "function": {"name": "f", "parameters": {"$DEEP": 1}}}],
                                                 tool_choice="required").replace(b'{"$DEEP": 1}', deep_schema.encode()), (400, 413), 20)),
        ("Structured output", "catastrophic regex (a+)+$ as a pattern", "bounded",
         timed("/v1/chat/completions", chat_body(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {
             "type": "string", "pattern": "^(a+)+$"}}}), (200, 400), 30)),
        ("Structured output", "$ref cycle with no content (a → b → a)", "400, bounded",
         timed("/v1/chat/completions", chat_body(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": cyclic}}),
               (400,), 20)),
        ("Structured output", "60 required properties, each anyOf of a counted pattern and a bound", "200 or 400, bounded",
         timed("/v1/chat/completions", chat_body(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": wide}}),
               (200, 400), 60)),
        ("Structured output", "enum of 20,000 long strings", "200 or 400, bounded",
         timed("/v1/chat/completions", chat_body(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": huge_enum}}),
               (200, 400, 413), 30)),
        ("Structured output", "left-recursive GBNF (root ::= root \"a\")", "400",
         timed("/v1/chat/completions", chat_body(grammar='root ::= root "a" | "a"'), (400,), 10)),
        ("Templates", "message content with Jinja syntax {{ 7*7 }} {% for %}", "rendered as text (200)",
         timed("/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "{{ 7*7 }} {% for x in range(10**9) %}"}],
                                                   "max_tokens": 2}).encode(), (200,), 20)),
        ("Slow clients", "slowloris: one header line per second", "closed by the header timeout", slowloris),
        ("Slow clients", "slow body: one byte per second", "closed by the body timeout (60 s from the head)", slow_body),
        ("Slow clients", "4 streaming clients that never read", "paused, memory bounded, others served", non_reader),
        ("Slow clients", "request then shutdown(SHUT_WR)", "answered (200)", half_close),
        ("Floods", "800 idle connections at once", "others still served", conn_flood),
        ("Floods", "120 concurrent chats against 4 + 8 slots", "each 200 or 429", request_flood),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--json")
    ap.add_argument("--log", default="/tmp/attack-server.log")
    ap.add_argument("--only", help="run only attacks whose name contains this text")
    ap.add_argument("--fixtures", default="Tests/Fixtures/models",
                    help="folder of the tiny fixtures the hostile model files and templates are made from")
    a = ap.parse_args()
    t = Target(a.bin, a.model, a.log)
    rows = []
    try:
        for cls, name, expected, run in attacks(t):
            if a.only and a.only not in name:
                continue
            t0 = time.time()
            try:
                ok, observed = run()
            except Exception as e:  # noqa: BLE001 - an attack that breaks the client is reported, not fatal
                ok, observed = False, f"client error {type(e).__name__}: {e}"
            harm = t.healthy()
            passed = ok and harm is None
            rows.append({"class": cls, "attack": name, "expected": expected, "observed": observed,
                         "after": harm or "alive, /health 200, chat 200", "pass": passed, "seconds": round(time.time() - t0, 2)})
            print(f"| {cls} | {name} | {expected} | {observed} | {rows[-1]['after']} | {'pass' if passed else 'FAIL'} |", flush=True)
    finally:
        t.stop()
    for row in attack_models.rows(a.bin, a.fixtures, a.only):
        rows.append(row)
        print(f"| {row['class']} | {row['attack']} | {row['expected']} | {row['observed']} | {row['after']} | "
              f"{'pass' if row['pass'] else 'FAIL'} |", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    failed = [r for r in rows if not r["pass"]]
    print(f"{len(rows) - len(failed)}/{len(rows)} passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
