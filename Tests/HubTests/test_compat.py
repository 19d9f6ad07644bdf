"""The cache is shared with huggingface_hub: it reads what lfm-serve wrote (HF_HUB_OFFLINE=1),
writes the same layout from the same mock Hub, and lfm-serve reads what it wrote."""
import os

from hub_support import CHAT, CHAT_NEEDED, GGUF, download, python_hf, read, repo_dir


def tree(root):
    """Every entry under `root`: symlink targets for links, sha-free content size for files."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", read(p))
    return out


def test_huggingface_hub_reads_our_cache_offline(env, hub):
    download(env, CHAT)
    download(env, GGUF + ":Q8_0")
    env["HF_HUB_OFFLINE"] = "1"
    got = python_hf(env, f"""
import json
from huggingface_hub import scan_cache_dir, hf_hub_download
info = scan_cache_dir()
repos = {{r.repo_id: {{"files": sorted(f.file_name for rev in r.revisions for f in rev.files),
                      "refs": sorted(ref for rev in r.revisions for ref in rev.refs),
                      "commits": [rev.commit_hash for rev in r.revisions]}} for r in info.repos}}
paths = {{f: hf_hub_download("{CHAT}", f, local_files_only=True) for f in ["config.json", "model.safetensors"]}}
paths["gguf"] = hf_hub_download("{GGUF}", "tiny-chat-Q8_0.gguf", local_files_only=True)
print(json.dumps({{"repos": repos, "warnings": [str(w) for w in info.warnings], "paths": paths}}))
""")
    assert got["warnings"] == []
    chat = got["repos"][CHAT]
    assert chat["files"] == CHAT_NEEDED
    assert chat["refs"] == ["main"]
    assert chat["commits"] == [hub.repos[CHAT].commit]
    assert got["repos"][GGUF]["files"] == ["tiny-chat-Q8_0.gguf"]
    for name in ["config.json", "model.safetensors"]:
        assert read(got["paths"][name]) == hub.repos[CHAT].files[name]
    assert read(got["paths"]["gguf"]) == hub.repos[GGUF].files["tiny-chat-Q8_0.gguf"]


def test_same_layout_as_huggingface_hub_and_we_read_its_cache(env, hub, tmp_path):
    ours = dict(env)
    py = dict(env, HF_HOME=str(tmp_path / "py-hf"), HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_XET="1")
    python_hf(py, f"""
import json
from huggingface_hub import hf_hub_download
for f in {CHAT_NEEDED!r}:
    hf_hub_download("{CHAT}", f)
print("{{}}")
""")
    download(ours, CHAT)
    py_repo, our_repo = repo_dir(py, CHAT), repo_dir(ours, CHAT)
    assert tree(os.path.join(our_repo, "snapshots")) == tree(os.path.join(py_repo, "snapshots"))
    assert tree(os.path.join(our_repo, "blobs")) == tree(os.path.join(py_repo, "blobs"))
    assert tree(os.path.join(our_repo, "refs")) == tree(os.path.join(py_repo, "refs"))

    # lfm-serve serves from the cache huggingface_hub wrote, with no network.
    hub.reset()
    py["HF_HUB_OFFLINE"] = "1"
    r = download(py, CHAT)
    assert r.stdout.strip() == os.path.join(py_repo, "snapshots", hub.repos[CHAT].commit)
    assert hub.requests == []
