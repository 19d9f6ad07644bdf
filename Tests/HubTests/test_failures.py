"""Interrupted, corrupted and refused downloads: resume with Range, hash checks, and the
messages for 401/403/404."""
import os

from hub_support import CHAT, GATED, GGUF, TOKEN, download, read, repo_dir, sha256

WEIGHTS = "model.safetensors"


def blob_path(env, hub, name, repo=CHAT):
    return os.path.join(repo_dir(env, repo), "blobs", hub.repos[repo].etag(name))


def test_interrupted_transfer_resumes_with_a_range_request(env, hub):
    hub.drop_after[WEIGHTS] = (1_000_000, 1)  # the first GET ends after 1 MB
    r = download(env, CHAT)
    etag = hub.repos[CHAT].etag(WEIGHTS)
    gets = hub.seen("cdn", "GET", etag)
    assert len(gets) == 2
    assert "range" not in gets[0]["headers"]
    assert gets[1]["headers"]["range"] == "bytes=1000000-"
    assert sha256(read(blob_path(env, hub, WEIGHTS))) == etag
    assert not os.path.exists(blob_path(env, hub, WEIGHTS) + ".incomplete")
    assert "resuming at" in r.stderr


def test_partial_file_from_an_earlier_run_is_resumed(env, hub):
    data = hub.repos[CHAT].files[WEIGHTS]
    part = blob_path(env, hub, WEIGHTS) + ".incomplete"
    os.makedirs(os.path.dirname(part))
    with open(part, "wb") as f:
        f.write(data[:len(data) // 2])
    download(env, CHAT)
    gets = hub.seen("cdn", "GET", hub.repos[CHAT].etag(WEIGHTS))
    assert [g["headers"].get("range") for g in gets] == [f"bytes={len(data) // 2}-"]
    assert read(blob_path(env, hub, WEIGHTS)) == data


def test_server_ignoring_range_restarts_cleanly(env, hub):
    data = hub.repos[CHAT].files[WEIGHTS]
    part = blob_path(env, hub, WEIGHTS) + ".incomplete"
    os.makedirs(os.path.dirname(part))
    with open(part, "wb") as f:
        f.write(data[:1000])
    hub.ignore_range = True
    download(env, CHAT)
    assert read(blob_path(env, hub, WEIGHTS)) == data


def test_corrupted_transfer_is_detected_and_fetched_again(env, hub):
    hub.corrupt[WEIGHTS] = 1
    r = download(env, CHAT)
    etag = hub.repos[CHAT].etag(WEIGHTS)
    assert len(hub.seen("cdn", "GET", etag)) == 2
    assert "sha256 is" in r.stderr and "downloading again" in r.stderr
    assert sha256(read(blob_path(env, hub, WEIGHTS))) == etag


def test_corrupted_small_file_is_checked_against_its_git_blob_id(env, hub):
    hub.corrupt["config.json"] = 1
    r = download(env, CHAT)
    assert "git blob sha1 is" in r.stderr
    assert read(blob_path(env, hub, "config.json")) == hub.repos[CHAT].files["config.json"]


def test_corrupted_partial_file_is_discarded(env, hub):
    data = hub.repos[CHAT].files[WEIGHTS]
    part = blob_path(env, hub, WEIGHTS) + ".incomplete"
    os.makedirs(os.path.dirname(part))
    with open(part, "wb") as f:
        f.write(b"\0" * (len(data) // 2))  # wrong bytes: resuming gives a wrong hash
    download(env, CHAT)
    gets = hub.seen("cdn", "GET", hub.repos[CHAT].etag(WEIGHTS))
    assert [g["headers"].get("range") for g in gets] == [f"bytes={len(data) // 2}-", None]
    assert read(blob_path(env, hub, WEIGHTS)) == data


def test_persistent_corruption_fails_with_a_clear_message(env, hub):
    hub.corrupt[WEIGHTS] = 5
    r = download(env, CHAT, ok=False)
    assert "download of model.safetensors is corrupt" in r.stderr
    assert not os.path.exists(blob_path(env, hub, WEIGHTS))


def test_corrupt_cached_blob_is_found_by_verify_and_fetched_again(env, hub):
    download(env, CHAT)
    blob = blob_path(env, hub, WEIGHTS)
    data = bytearray(read(blob))
    data[100] ^= 1
    with open(blob, "wb") as f:
        f.write(data)
    hub.reset()
    r = download(env, CHAT, "--verify")
    assert "does not match its hash" in r.stderr
    assert len(hub.seen("cdn", "GET")) == 1
    assert sha256(read(blob)) == hub.repos[CHAT].etag(WEIGHTS)
    # Offline, a corrupt blob is removed and the error says what is missing.
    with open(blob, "wb") as f:
        f.write(data)
    env["HF_HUB_OFFLINE"] = "1"
    r = download(env, CHAT, "--verify", ok=False)
    assert "does not match its hash" in r.stderr and "HF_HUB_OFFLINE" in r.stderr


def test_gated_repo_without_token_says_to_set_hf_token(env, hub):
    r = download(env, GATED, ok=False)
    assert "HTTP 401" in r.stderr and "gated" in r.stderr and "HF_TOKEN" in r.stderr


def test_wrong_token_is_refused_and_never_printed(env, hub):
    env["HF_TOKEN"] = "hf_wrong_token_abcdef"
    r = download(env, GATED, ok=False)
    assert "HTTP 403" in r.stderr and "does not grant access" in r.stderr
    assert "hf_wrong_token_abcdef" not in r.stderr + r.stdout


def test_right_token_downloads_the_gated_repo(env, hub):
    env["HF_TOKEN"] = TOKEN
    r = download(env, GATED)
    assert r.stdout.strip().endswith("tiny-gated-Q4_0.gguf")
    assert TOKEN not in r.stderr


def test_token_from_the_login_file(env, hub):
    os.makedirs(env["HF_HOME"], exist_ok=True)
    with open(os.path.join(env["HF_HOME"], "token"), "w") as f:
        f.write(TOKEN + "\n")
    download(env, GATED)


def test_unknown_repository_is_a_clear_404(env, hub):
    r = download(env, "LiquidAI/does-not-exist", ok=False)
    assert "repository LiquidAI/does-not-exist not found" in r.stderr


def test_unknown_revision_is_a_clear_404(env, hub):
    r = download(env, CHAT + "@v9.9", ok=False)
    assert "revision 'v9.9' not found in LiquidAI/tiny-chat" in r.stderr


def test_selector_on_a_safetensors_repo_is_refused(env, hub):
    r = download(env, CHAT + ":Q4_K_M", ok=False)
    assert "has no .gguf files" in r.stderr


def test_gguf_repo_blob_resume(env, hub):
    hub.drop_after["tiny-chat-Q8_0.gguf"] = (500_000, 1)
    r = download(env, GGUF + ":Q8_0")
    assert sha256(read(r.stdout.strip())) == hub.repos[GGUF].etag("tiny-chat-Q8_0.gguf")
