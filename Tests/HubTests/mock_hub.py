"""A mock Hugging Face Hub on loopback, close enough to the real one that huggingface_hub
itself downloads from it.

Endpoints (as huggingface.co serves them):
- GET  /api/models/{owner}/{name}/revision/{rev}    model info: sha + siblings (sent chunked)
- HEAD/GET /{owner}/{name}/resolve/{rev}/{path}     X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size;
      LFS files: 302 to a second loopback server standing in for the CDN (another origin,
      signed query string); other files: 307 relative redirect to /api/resolve-cache/... on
      the same host, which serves them with ETag = git blob id
- GET  /blobs/{sha256}?sig=...   (CDN)              Range requests → 206 / 416

Switches to inject failures (see MockHub): drop the connection mid-body, serve corrupted
bytes, ignore Range, throttle, require a token (401 / 403), unknown repo or revision (404).
Every request is logged with its headers, for assertions.
"""
import hashlib
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_THRESHOLD = 1 << 20  # like the Hub's .gitattributes defaults: big files go to LFS
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".onnx")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, repo_id, files, revisions=None, token=None):
        self.repo_id = repo_id
        self.files = dict(files)
        self.commit = hashlib.sha1(("commit:" + repo_id).encode()).hexdigest()
        self.revisions = {"main": self.commit, **(revisions or {})}
        self.token = token

    def is_lfs(self, name):
        return name.endswith(LFS_SUFFIXES) or len(self.files[name]) >= LFS_THRESHOLD

    def etag(self, name):
        data = self.files[name]
        return hashlib.sha256(data).hexdigest() if self.is_lfs(name) else git_blob_id(data)

    def resolve(self, rev):
        if rev in self.revisions:
            return self.revisions[rev]
        if rev in self.revisions.values():
            return rev
        return None


class MockHub:
    def __init__(self, tls=None, hub_host="127.0.0.1"):
        """`tls`: an ssl.SSLContext for both servers (then URLs are https://); `hub_host`: the
        name the endpoint URL uses (e.g. "localhost", to test host name verification)."""
        self.repos = {}
        self.blobs = {}  # sha256 → (repo, name)
        self.lock = threading.Lock()
        self.reset()
        self.hub = _serve(self, "hub", tls)
        self.cdn = _serve(self, "cdn", tls)
        scheme = "https" if tls else "http"
        self.endpoint = f"{scheme}://{hub_host}:{self.hub.server_address[1]}"
        self.cdn_base = f"{scheme}://127.0.0.1:{self.cdn.server_address[1]}"

    def reset(self):
        with self.lock:
            self.requests = []
        self.drop_after = {}      # file name → (bytes to send before closing, times)
        self.corrupt = {}         # file name → times to flip a byte
        self.ignore_range = False
        self.throttle = 0.0       # seconds slept per 64 KiB of body

    def add_repo(self, repo_id, files, **kw):
        repo = Repo(repo_id, files, **kw)
        self.repos[repo_id] = repo
        for name in repo.files:
            if repo.is_lfs(name):
                self.blobs[repo.etag(name)] = (repo, name)
        return repo

    def log(self, server, handler):
        with self.lock:
            self.requests.append({"server": server, "method": handler.command, "path": handler.path,
                                  "headers": {k.lower(): v for k, v in handler.headers.items()}})

    def seen(self, server=None, method=None, contains=None):
        with self.lock:
            return [r for r in self.requests if (server is None or r["server"] == server)
                    and (method is None or r["method"] == method) and (contains is None or contains in r["path"])]

    def close(self):
        for s in (self.hub, self.cdn):
            s.shutdown()
            s.server_close()


class _TLSServer(ThreadingHTTPServer):
    """Runs the TLS handshake in the request thread, so a client that rejects the
    certificate does not stall the accept loop."""
    tls = None

    def finish_request(self, request, client_address):
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except OSError:
            return
        super().finish_request(request, client_address)


def _serve(hub, role, tls=None):
    handler = type(f"{role}Handler", (_Handler,), {"hub": hub, "role": role})
    server = (_TLSServer if tls else ThreadingHTTPServer)(("127.0.0.1", 0), handler)
    server.tls = tls
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: MockHub
    role: str

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.dispatch(head=True)

    def do_GET(self):
        self.dispatch(head=False)

    def dispatch(self, head):
        self.close_connection = True
        self.hub.log(self.role, self)
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        if self.role == "cdn":
            return self.cdn(path, url.query, head)
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision" and not head:
            return self.model_info("/".join(parts[2:4]), "/".join(parts[5:]))
        if parts[:3] == ["api", "resolve-cache", "models"] and len(parts) >= 7:
            return self.resolve_cache("/".join(parts[3:5]), parts[5], "/".join(parts[6:]), head)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
        self.error(404, "EntryNotFound", "no such endpoint")

    # -- helpers -------------------------------------------------------------------------

    def error(self, status, code, message, extra=None):
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def check_access(self, repo):
        """None when allowed, else sends 401 (no token) / 403 (wrong token) like a gated repo."""
        if repo.token is None:
            return True
        auth = self.headers.get("Authorization")
        if auth is None:
            self.error(401, "GatedRepo", f"Access to model {repo.repo_id} is restricted. You must be authenticated.")
            return False
        if auth != f"Bearer {repo.token}":
            self.error(403, "GatedRepo", f"Access to model {repo.repo_id} is restricted and you are not in the authorized list.")
            return False
        return True

    def lookup(self, repo_id, rev):
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self.error(404, "RepoNotFound", "Repository not found")
            return None, None
        if not self.check_access(repo):
            return None, None
        commit = repo.resolve(rev)
        if commit is None:
            self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            return None, None
        return repo, commit

    # -- hub ---------------------------------------------------------------------------

    def model_info(self, repo_id, rev):
        repo, commit = self.lookup(repo_id, rev)
        if repo is None:
            return
        body = json.dumps({"_id": "x", "id": repo_id, "modelId": repo_id, "sha": commit, "private": False,
                           "siblings": [{"rfilename": n} for n in sorted(repo.files)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(0, len(body), 100):  # many small chunks exercise the client's decoder
            piece = body[i:i + 100]
            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")

    def resolve(self, repo_id, rev, name, head):
        repo, commit = self.lookup(repo_id, rev)
        if repo is None:
            return
        if name not in repo.files:
            return self.error(404, "EntryNotFound", f"{name} does not exist", {"X-Repo-Commit": commit})
        data = repo.files[name]
        self.send_response(302 if repo.is_lfs(name) else 307)
        self.send_header("X-Repo-Commit", commit)
        if repo.is_lfs(name):
            sha = repo.etag(name)
            self.send_header("ETag", f'"{git_blob_id(b"pointer " + sha.encode())}"')  # the pointer file's id
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Location", f"{self.hub.cdn_base}/blobs/{sha}?sig=SIGNED-SECRET&expires=1")
        else:
            self.send_header("ETag", f'"{repo.etag(name)}"')
            quoted = urllib.parse.quote(name)
            self.send_header("Location", f"/api/resolve-cache/models/{repo_id}/{commit}/{quoted}")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def resolve_cache(self, repo_id, commit, name, head):
        repo = self.hub.repos.get(repo_id)
        if repo is None or name not in repo.files:
            return self.error(404, "EntryNotFound", "not found")
        if not self.check_access(repo):
            return
        extra = {"X-Repo-Commit": commit, "ETag": f'"{repo.etag(name)}"'}
        self.send_body(name, repo.files[name], head, extra)

    # -- cdn ---------------------------------------------------------------------------

    def cdn(self, path, query, head):
        parts = path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "blobs" or parts[1] not in self.hub.blobs or "sig=SIGNED-SECRET" not in query:
            return self.error(403, None, "AccessDenied: bad signature")
        repo, name = self.hub.blobs[parts[1]]
        self.send_body(name, repo.files[name], head, {"ETag": f'"{parts[1]}"', "Accept-Ranges": "bytes"})

    def send_body(self, name, data, head, extra):
        total = len(data)
        start = 0
        status = 200
        rng = self.headers.get("Range")
        if rng and not self.hub.ignore_range:
            first = int(rng.removeprefix("bytes=").split("-")[0])
            if first >= total:
                return self.error(416, None, "Range Not Satisfiable", {"Content-Range": f"bytes */{total}"})
            start, status = first, 206
        if self.hub.corrupt.get(name, 0) > 0 and not head:
            self.hub.corrupt[name] -= 1
            data = bytearray(data)
            data[total // 2] ^= 0xFF
            data = bytes(data)
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        limit = len(body)
        drop = self.hub.drop_after.get(name)
        if drop and drop[1] > 0:
            self.hub.drop_after[name] = (drop[0], drop[1] - 1)
            limit = min(limit, drop[0])
        for i in range(0, limit, 65536):
            self.wfile.write(body[i:min(i + 65536, limit)])
            if self.hub.throttle:
                time.sleep(self.hub.throttle)
        if limit < len(body):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
