"""HTTPS through our OpenSSL client: certificate chain and host name verification against a
mock Hub with a throwaway CA (SSL_CERT_FILE selects the CA store, as for OpenSSL itself)."""
import os
import shutil
import ssl
import subprocess

import pytest

from hub_support import GGUF, add_fixture_repos, download, read
from mock_hub import MockHub

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, and a server certificate it signed for localhost and 127.0.0.1."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=lfm-test-ca", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "ext.cnf", cwd=d)
    # A certificate from the same CA for another name.
    (d / "other.cnf").write_text("subjectAltName=DNS:other.example\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "other.pem",
            "-days", "2", "-extfile", "other.cnf", cwd=d)
    return d


def make_hub(pki, cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / cert, pki / "server.key")
    h = MockHub(tls=ctx, hub_host="localhost")
    add_fixture_repos(h)
    return h


@pytest.fixture(scope="module")
def tls_hub(pki):
    h = make_hub(pki, "server.pem")
    yield h
    h.close()


@pytest.fixture
def tls_env(env, tls_hub):
    e = dict(env, HF_ENDPOINT=tls_hub.endpoint)
    e.pop("SSL_CERT_DIR", None)
    return e


def test_https_download_verifies_the_server(tls_env, tls_hub, pki):
    tls_env["SSL_CERT_FILE"] = str(pki / "ca.pem")
    r = download(tls_env, GGUF + ":Q8_0")
    assert read(r.stdout.strip()) == tls_hub.repos[GGUF].files["tiny-chat-Q8_0.gguf"]
    # The CDN is reached by IP address: verified against the certificate's IP SAN.
    assert tls_hub.seen("cdn", "GET")


def test_https_with_an_unknown_ca_is_refused(tls_env, tls_hub):
    r = download(tls_env, GGUF + ":Q8_0", ok=False)
    assert "certificate verification failed for localhost" in r.stderr


def test_https_with_a_wrong_host_name_is_refused(tls_env, pki):
    other = make_hub(pki, "other.pem")  # trusted CA, but the certificate names other.example
    try:
        tls_env["SSL_CERT_FILE"] = str(pki / "ca.pem")
        tls_env["HF_ENDPOINT"] = other.endpoint
        r = download(tls_env, GGUF + ":Q8_0", ok=False)
    finally:
        other.close()
    assert "certificate verification failed for localhost" in r.stderr
    assert "hostname mismatch" in r.stderr
    assert not os.path.exists(os.path.join(tls_env["HF_HOME"], "hub", "models--LiquidAI--tiny-chat-GGUF", "blobs"))
