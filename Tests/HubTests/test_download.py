"""`lfm-serve download`: fresh download into the Hugging Face cache layout, cache hits without
any request, offline mode, sharded weights, and two processes downloading at once."""
import os
import subprocess

from hub_support import (BIN, CHAT, CHAT_NEEDED, SHARDED, TOKEN, cache_root, download, lfm, read, repo_dir,
                      sha256)


def snapshot_of(env, hub, repo):
    return os.path.join(repo_dir(env, repo), "snapshots", hub.repos[repo].commit)


def test_fresh_download_writes_the_hub_cache_layout(env, hub):
    env["HF_TOKEN"] = TOKEN  # sent to the Hub, never to the CDN, never printed
    r = download(env, CHAT)
    repo = hub.repos[CHAT]
    snap = snapshot_of(env, hub, CHAT)
    assert r.stdout.strip() == snap

    # Only the files lfm-serve loads: no README, no ONNX export.
    assert sorted(os.listdir(snap)) == CHAT_NEEDED
    for name in CHAT_NEEDED:
        link = os.path.join(snap, name)
        assert os.path.islink(link)
        assert os.readlink(link) == "../../blobs/" + repo.etag(name)
        assert read(link) == repo.files[name]
    blobs = sorted(os.listdir(os.path.join(repo_dir(env, CHAT), "blobs")))
    assert blobs == sorted(repo.etag(n) for n in CHAT_NEEDED)  # nothing .incomplete left
    assert len(repo.etag("model.safetensors")) == 64 and len(repo.etag("config.json")) == 40
    assert read(os.path.join(repo_dir(env, CHAT), "refs", "main")).decode() == repo.commit
    assert os.path.isfile(os.path.join(cache_root(env), "CACHEDIR.TAG"))
    assert os.path.isfile(os.path.join(cache_root(env), ".locks", "models--LiquidAI--tiny-chat",
                                       repo.etag("model.safetensors") + ".lock"))

    # The token went to the Hub, not to the CDN; the signed URL and token are not printed.
    assert all(r_["headers"].get("authorization") == f"Bearer {TOKEN}" for r_ in hub.seen("hub"))
    assert hub.seen("cdn") and all("authorization" not in r_["headers"] for r_ in hub.seen("cdn"))
    assert TOKEN not in r.stderr and "SIGNED-SECRET" not in r.stderr
    # One model-info call, one HEAD per file (small files: plus the same-host redirect), one GET per file.
    assert len(hub.seen("hub", "GET", "/api/models/")) == 1
    assert len(hub.seen("hub", "HEAD", "/resolve/")) == len(CHAT_NEEDED)
    assert len(hub.seen("cdn", "GET")) == 2 and len(hub.seen("hub", "GET", "/api/resolve-cache/")) == 4
    assert not [x for x in hub.seen() if "README" in x["path"] or "onnx" in x["path"]]


def test_cache_hit_makes_no_request(env, hub):
    first = download(env, CHAT).stdout
    hub.reset()
    again = download(env, CHAT)
    assert again.stdout == first
    assert hub.requests == []
    assert "using cached" in again.stderr
    # A pinned commit and a tag that was never downloaded: the commit hits, the tag must ask.
    commit = hub.repos[CHAT].commit
    assert download(env, f"{CHAT}@{commit}").stdout == first
    assert hub.requests == []
    assert download(env, CHAT, "--revision", "v1.0").stdout == first
    assert len(hub.seen("hub", "GET", "/revision/v1.0")) == 1
    assert hub.seen("cdn") == []  # the blobs were all there already
    assert read(os.path.join(repo_dir(env, CHAT), "refs", "v1.0")).decode() == commit


def test_refresh_asks_the_hub_but_reuses_blobs(env, hub):
    download(env, CHAT)
    hub.reset()
    download(env, CHAT, "--refresh")
    assert len(hub.seen("hub", "GET", "/api/models/")) == 1
    assert hub.seen("cdn") == []


def test_hf_hub_cache_takes_precedence_over_hf_home(env, hub, tmp_path):
    env["HF_HUB_CACHE"] = str(tmp_path / "elsewhere")
    r = download(env, CHAT)
    assert r.stdout.startswith(str(tmp_path / "elsewhere" / "models--LiquidAI--tiny-chat"))
    assert not os.path.exists(os.path.join(env["HF_HOME"], "hub"))


def test_offline_mode_uses_the_cache_only(env, hub):
    path = download(env, CHAT).stdout
    hub.reset()
    env["HF_HUB_OFFLINE"] = "1"
    assert download(env, CHAT).stdout == path
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens there
    assert download(env, CHAT).stdout == path
    assert hub.requests == []


def test_offline_mode_without_a_cached_copy_fails_clearly(env, hub):
    env["HF_HUB_OFFLINE"] = "1"
    r = download(env, CHAT, ok=False)
    assert "HF_HUB_OFFLINE" in r.stderr
    assert CHAT in r.stderr
    assert repo_dir(env, CHAT) in r.stderr
    assert hub.requests == []
    # A cached revision does not make another one available.
    del env["HF_HUB_OFFLINE"]
    download(env, CHAT)
    env["HF_HUB_OFFLINE"] = "1"
    r = download(env, CHAT + "@v1.0", ok=False)
    assert "refs/v1.0" in r.stderr


def test_sharded_safetensors_fetch_the_index_and_every_shard(env, hub):
    r = download(env, SHARDED)
    snap = r.stdout.strip()
    files = sorted(os.listdir(snap))
    assert "model.safetensors.index.json" in files
    assert [f for f in files if f.startswith("model-")] == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    # The cached index (larger than 64 KiB) is read to check every shard is there: no request.
    hub.reset()
    assert download(env, SHARDED).stdout.strip() == snap
    assert hub.requests == []
    # And it loads: a greedy completion of two tokens.
    c = lfm(env, "complete", "--model", snap, "--prompt", "Hello", "--max-tokens", "2", "--temperature", "0", "--threads", "2")
    assert c.returncode == 0, c.stderr


def test_two_processes_downloading_at_once_share_the_work(env, hub):
    hub.throttle = 0.02  # ≈ 1.3 s for the weights: long enough for the second process to wait on the lock
    procs = [subprocess.Popen([BIN, "download", CHAT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert outs[0][0] == outs[1][0]
    weights = hub.repos[CHAT].etag("model.safetensors")
    assert len(hub.seen("cdn", "GET", weights)) == 1  # the second process reused the first one's blob
    assert sha256(read(os.path.join(outs[0][0].strip(), "model.safetensors"))) == weights
    assert any("waiting for another process" in o[1] for o in outs)


def test_download_rejects_bad_references(env, hub):
    for bad, fragment in [("LiquidAI", "needs an owner"), ("a/b/c", "exactly one '/'"), ("Liquid--AI/x", "'--'"),
                          ("LiquidAI/x@", "revision"), ("LiquidAI/x:", "quantization")]:
        r = download(env, bad, ok=False)
        assert fragment in r.stderr, (bad, r.stderr)
    assert hub.requests == []


def test_unreachable_hub_names_the_endpoint(env, hub):
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    r = download(env, CHAT, ok=False)
    assert "cannot reach the Hugging Face Hub at http://127.0.0.1:9" in r.stderr
    assert "HF_HUB_OFFLINE" in r.stderr

