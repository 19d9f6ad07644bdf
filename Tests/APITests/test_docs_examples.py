"""Every curl example in docs/api.md runs against a real server and returns JSON or SSE."""
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT

DOC = open(os.path.join(ROOT, "docs", "api.md"), encoding="utf-8").read()
EXAMPLES = [b.strip() for b in re.findall(r"```sh\n(.*?)```", DOC, re.S) if b.strip().startswith("curl")]


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("cmd", EXAMPLES)
def test_curl_example(server, cmd):
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "BASE": server.base})
    assert out.returncode == 0, out.stderr
    body = out.stdout.strip()
    if body.startswith("data:"):
        events = [l[6:] for l in body.splitlines() if l.startswith("data: ")]
        assert events[-1] == "[DONE]"
        for e in events[:-1]:
            assert "error" not in json.loads(e)
    else:
        assert "error" not in json.loads(body)
