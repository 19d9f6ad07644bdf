"""Hub downloads through HTTP(S) proxies from the environment, as curl and requests read them:
HTTP_PROXY (absolute-form requests), HTTPS_PROXY (CONNECT tunnel, TLS end to end with the
Hub), NO_PROXY, and proxy credentials (Basic). The proxy is a small one on loopback."""
import base64
import os
import shutil
import socket
import threading

import pytest

from hub_support import GGUF, download, read


class Proxy:
    """A forward proxy: CONNECT tunnels and absolute-form GET/HEAD, logging what it saw."""

    def __init__(self, credentials=None):
        self.credentials = credentials
        self.log = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve(self, c):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = c.recv(1)
            if not chunk:
                c.close()
                return
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        self.log.append((method, target, headers.get("proxy-authorization")))
        if self.credentials:
            want = "Basic " + base64.b64encode(self.credentials.encode()).decode()
            if headers.get("proxy-authorization") != want:
                c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
                c.close()
                return
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up = socket.create_connection((host.strip("[]"), int(port)))
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            assert target.startswith("http://"), target
            rest = target[len("http://"):]
            authority, path = (rest.split("/", 1) + [""])[:2]
            host, port = authority.rsplit(":", 1) if ":" in authority else (authority, "80")
            up = socket.create_connection((host, int(port)))
            out = [f"{method} /{path} {version}"] + [l for l in lines[1:] if l and not l.lower().startswith("proxy-")]
            up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        threading.Thread(target=self._pipe, args=(up, c), daemon=True).start()
        self._pipe(c, up)


@pytest.fixture
def proxy():
    p = Proxy()
    yield p
    p.close()


def test_http_proxy_carries_every_request_in_absolute_form(env, hub, proxy):
    env["HTTP_PROXY"] = proxy.url
    r = download(env, GGUF + ":Q8_0")
    assert read(r.stdout.strip()) == hub.repos[GGUF].files["tiny-chat-Q8_0.gguf"]
    targets = [t for m, t, _ in proxy.log]
    assert targets and all(t.startswith("http://127.0.0.1:") for t in targets)
    assert any("/api/models/" in t for t in targets)
    assert any("/resolve/" in t for t in targets)                      # the Hub's file URL
    assert len({t.split("/")[2] for t in targets}) >= 2                 # and the CDN it redirects to


def test_no_proxy_bypasses_the_proxy(env, hub, proxy):
    env["http_proxy"] = proxy.url
    env["no_proxy"] = "localhost,127.0.0.1"
    download(env, GGUF + ":Q8_0")
    assert proxy.log == []


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory):
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    d = tmp_path_factory.mktemp("proxy-pki")
    run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=proxy-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "2", "-extfile", "ext.cnf")
    return d


def test_https_proxy_with_tls(env, pki_dir):
    import ssl
    from hub_support import add_fixture_repos
    from mock_hub import MockHub
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_dir / "server.pem", pki_dir / "server.key")
    hub = MockHub(tls=ctx, hub_host="localhost")
    add_fixture_repos(hub)
    p = Proxy(credentials="user:p@ss")
    try:
        env.update(HF_ENDPOINT=hub.endpoint, SSL_CERT_FILE=str(pki_dir / "ca.pem"))
        env.pop("SSL_CERT_DIR", None)
        # Without credentials the proxy answers 407, and the message says what to do.
        env["HTTPS_PROXY"] = p.url
        r = download(env, GGUF + ":Q8_0", ok=False)
        assert "requires authentication (407)" in r.stderr
        # With them (percent-encoded in the URL, as curl takes them) the download goes through the tunnel.
        env["HTTPS_PROXY"] = f"http://user:p%40ss@127.0.0.1:{p.port}"
        r = download(env, GGUF + ":Q8_0")
        assert read(r.stdout.strip()) == hub.repos[GGUF].files["tiny-chat-Q8_0.gguf"]
        connects = [t for m, t, a in p.log if m == "CONNECT" and a]
        assert any(t.startswith("localhost:") for t in connects)            # the Hub, by name
        assert all(m == "CONNECT" for m, _, _ in p.log)                     # nothing in clear text
        assert "p@ss" not in r.stderr and "p%40ss" not in r.stderr          # credentials never printed
    finally:
        p.close()
        hub.close()
