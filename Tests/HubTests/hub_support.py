"""Helpers for the Hub download tests: the fixture repositories the mock Hub serves (built
from the checked-in tiny models) and runners for the built `lfm-serve` binary (env
LFM_SERVE_BIN, default .build/debug/lfm-serve) and for Python with huggingface_hub.
(A module of its own, not conftest.py, so it never clashes with another suite's conftest.)"""
import hashlib
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("LFM_SERVE_BIN") or os.path.join(ROOT, ".build", "debug", "lfm-serve"))
MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")

CHAT = "LiquidAI/tiny-chat"
GGUF = "LiquidAI/tiny-chat-GGUF"
SHARDED = "LiquidAI/tiny-chat-sharded"
GATED = "LiquidAI/tiny-gated"
TOKEN = "hf_TESTtoken_do_not_log_1234567890"

# What lfm-serve must fetch from the tiny-chat repository (and nothing else).
CHAT_NEEDED = ["chat_template.jinja", "config.json", "generation_config.json", "model.safetensors",
               "tokenizer.json", "tokenizer_config.json"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def folder_files(folder):
    return {n: read(os.path.join(folder, n)) for n in sorted(os.listdir(folder))}


def fake_gguf(tag, size=4096):
    """Bytes standing in for a quantization we only download, never load."""
    seed = hashlib.sha256(tag.encode()).digest()
    return b"GGUF" + (seed * (size // len(seed) + 1))[: size - 4]


def split_safetensors(data, parts=2):
    """Splits a safetensors file into `parts` shards plus an index, as transformers saves them."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    meta = header.pop("__metadata__", None)
    names = sorted(header)
    shards, weight_map = {}, {}
    for i in range(parts):
        shard_name = f"model-{i + 1:05d}-of-{parts:05d}.safetensors"
        chunk = names[i::parts]
        new_header, blob, offset = {}, bytearray(), 0
        for name in chunk:
            begin, end = header[name]["data_offsets"]
            new_header[name] = dict(header[name], data_offsets=[offset, offset + end - begin])
            blob += body[begin:end]
            offset += end - begin
            weight_map[name] = shard_name
        if meta:
            new_header["__metadata__"] = meta
        text = json.dumps(new_header).encode()
        text += b" " * (-len(text) % 8)
        shards[shard_name] = struct.pack("<Q", len(text)) + text + bytes(blob)
    # Padded past 64 KiB, the size of the index of a model with thousands of tensors.
    index = {"metadata": {"total_size": len(body), "padding": "x" * 70_000}, "weight_map": weight_map}
    return shards, json.dumps(index, indent=2).encode()


def add_fixture_repos(hub):
    chat = folder_files(os.path.join(MODELS, "tiny-chat"))
    extras = {"README.md": b"# tiny-chat\nA test model.\n", ".gitattributes": b"*.safetensors filter=lfs\n",
              "onnx/model.onnx": fake_gguf("onnx", 8192)}
    repo = hub.add_repo(CHAT, {**chat, **extras})
    repo.revisions["v1.0"] = repo.commit  # a tag
    hub.add_repo(GGUF, {
        "tiny-chat-Q8_0.gguf": read(os.path.join(MODELS, "tiny-chat-q8_0.gguf")),
        "tiny-chat-Q4_0.gguf": fake_gguf("Q4_0"),
        "tiny-chat-Q4_K_M.gguf": fake_gguf("Q4_K_M"),
        "tiny-chat-Q4_K_S.gguf": fake_gguf("Q4_K_S"),
        "tiny-chat-F16.gguf": fake_gguf("F16"),
        "mmproj-tiny-chat-F16.gguf": fake_gguf("mmproj"),
        "README.md": b"# GGUF\n",
    })
    shards, index = split_safetensors(chat["model.safetensors"])
    sharded = {k: v for k, v in chat.items() if k != "model.safetensors"}
    hub.add_repo(SHARDED, {**sharded, **shards, "model.safetensors.index.json": index})
    hub.add_repo(GATED, {"tiny-gated-Q4_0.gguf": fake_gguf("gated")}, token=TOKEN)


def base_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_")) and k not in ("XDG_CACHE_HOME",)}
    env["HOME"] = home
    env["HF_HOME"] = os.path.join(home, "hf")
    return env


def cache_root(env):
    return env.get("HF_HUB_CACHE") or os.path.join(env["HF_HOME"], "hub")


def repo_dir(env, repo):
    return os.path.join(cache_root(env), "models--" + repo.replace("/", "--"))


def lfm(env, *args, timeout=120):
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def download(env, *args, ok=True, timeout=120):
    r = lfm(env, "download", *args, timeout=timeout)
    if ok:
        assert r.returncode == 0, f"download failed:\n{r.stderr}"
    else:
        assert r.returncode != 0, f"download should have failed:\n{r.stdout}\n{r.stderr}"
    return r


def python_hf(env, code):
    """Runs `code` in a fresh Python with `env` (huggingface_hub reads its settings at
    import); the snippet prints one JSON document, returned parsed."""
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])
