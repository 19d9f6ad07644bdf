"""The README's two set-up commands as a newcomer runs them: the run command (default Hub
model id, served from the mock Hub standing in for huggingface.co) answers the README's curl
example. Uses the test build instead of `swift run -c release`, and a free port."""
import json
import os
import re
import shlex
import subprocess

from hub_support import MODELS, ROOT, folder_files
from test_serve import Served


def readme_blocks():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", readme, re.S)]


def test_readme_run_command_serves_the_default_model_and_answers_the_curl_example(env, hub):
    blocks = readme_blocks()
    run = next(b for b in blocks if b.startswith("swift run") and "lfm-serve" in b)
    args = shlex.split(run)
    args = args[args.index("lfm-serve") + 1:]
    if args and args[0] == "serve":
        args = args[1:]
    model = args[args.index("--model") + 1]
    port = args[args.index("--port") + 1] if "--port" in args else "8080"
    assert "/" in model and not os.path.exists(os.path.join(ROOT, model)), "the README should name a Hub model id"
    hub.add_repo(model, folder_files(os.path.join(MODELS, "tiny-chat")))
    rest = [a for i, a in enumerate(args) if a not in ("--model", "--port") and (i == 0 or args[i - 1] not in ("--model", "--port"))]
    s = Served(env, model, *rest)
    try:
        curl = next(b for b in blocks if b.startswith("curl"))
        out = subprocess.run(["bash", "-c", curl.replace(f"127.0.0.1:{port}", f"127.0.0.1:{s.port}")],
                             capture_output=True, text=True, timeout=60)
        reply = json.loads(out.stdout)
        assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]["role"] == "assistant"
        assert s.get("/v1/models")["data"][0]["id"] == model
        from openai import OpenAI   # the SDK sends the id with its slash: /v1/models/LiquidAI/LFM2-350M
        assert OpenAI(base_url=f"http://127.0.0.1:{s.port}/v1", api_key="x").models.retrieve(model).id == model
    finally:
        s.stop()
    # The test command is the one CI runs.
    assert "scripts/test.sh" in blocks
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    assert "bash scripts/test.sh" in ci
