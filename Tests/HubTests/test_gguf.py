"""The `:QUANT` selector on a GGUF repository with several quantizations."""
import os

from hub_support import GGUF, download, read


def test_selector_downloads_only_the_matching_file(env, hub):
    r = download(env, GGUF + ":Q8_0")
    path = r.stdout.strip()
    assert path.endswith("/tiny-chat-Q8_0.gguf")
    assert read(path) == hub.repos[GGUF].files["tiny-chat-Q8_0.gguf"]
    assert os.listdir(os.path.dirname(path)) == ["tiny-chat-Q8_0.gguf"]
    assert len(hub.seen("cdn", "GET")) == 1


def test_selector_is_case_insensitive(env, hub):
    assert download(env, GGUF + ":q4_k_m").stdout.strip().endswith("/tiny-chat-Q4_K_M.gguf")


def test_no_selector_prefers_q4_k_m(env, hub):
    r = download(env, GGUF)
    assert r.stdout.strip().endswith("/tiny-chat-Q4_K_M.gguf")
    assert "also available" in r.stderr


def test_selector_and_revision_in_either_order(env, hub):
    commit = hub.repos[GGUF].commit
    a = download(env, f"{GGUF}:Q4_0@{commit}").stdout
    b = download(env, f"{GGUF}@main:Q4_0").stdout
    assert a == b and a.strip().endswith("/tiny-chat-Q4_0.gguf")


def test_unknown_quantization_lists_the_available_ones(env, hub):
    r = download(env, GGUF + ":Q5_K_M", ok=False)
    assert "no GGUF file in LiquidAI/tiny-chat-GGUF matches ':Q5_K_M'" in r.stderr
    assert "available quantizations: F16, Q4_0, Q4_K_M, Q4_K_S, Q8_0" in r.stderr
    assert "mmproj" not in r.stderr
    assert hub.seen("cdn") == []


def test_ambiguous_selector_lists_the_matches(env, hub):
    r = download(env, GGUF + ":Q4_K", ok=False)
    assert "matches several GGUF files" in r.stderr
    assert "tiny-chat-Q4_K_M.gguf" in r.stderr and "tiny-chat-Q4_K_S.gguf" in r.stderr


def test_cached_quantization_is_a_cache_hit_and_others_are_not(env, hub):
    first = download(env, GGUF + ":Q8_0").stdout
    hub.reset()
    assert download(env, GGUF + ":Q8_0").stdout == first
    assert hub.requests == []
    download(env, GGUF + ":F16")
    assert len(hub.seen("cdn", "GET")) == 1
    env["HF_HUB_OFFLINE"] = "1"
    r = download(env, GGUF + ":Q4_0", ok=False)
    assert "no cached GGUF file matches ':Q4_0' (cached: F16, Q8_0)" in r.stderr
