"""Continuous batching is invisible to clients: 32 concurrent requests of different lengths
give exactly the tokens they give one at a time, greedy and seeded, also with a KV budget
small enough to force preemption and a token budget small enough to chunk every prompt."""
import concurrent.futures as cf

import pytest
from openai import OpenAI

from conftest import Server

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()


def requests():
    out = []
    for i in range(32):
        text = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(1 + (i * 13) % 40))
        seeded = i % 2 == 1
        out.append(dict(messages=[{"role": "user", "content": text}], max_tokens=4 + i % 9,
                        temperature=0.9 if seeded else 0, seed=i if seeded else None, extra_body={"ignore_eos": True}))
    return out


def run_all(client, reqs, concurrent):
    def one(r):
        c = client.chat.completions.create(model="tiny-chat", logprobs=True, **r)
        return [t.token for t in c.choices[0].logprobs.content]
    if not concurrent:
        return [one(r) for r in reqs]
    with cf.ThreadPoolExecutor(32) as ex:
        return list(ex.map(one, reqs))


@pytest.fixture(scope="module")
def sequential(client):
    return run_all(client, requests(), concurrent=False)


@pytest.mark.parametrize("flags", [
    [],
    ["--kv-cache-memory", "96K"],          # forces preemption (and prefix-cache eviction)
    ["--max-batched-tokens", "7"],         # chunks every prompt
    ["--no-prefix-cache"],
], ids=["default", "tiny-kv", "tiny-batch", "no-prefix-cache"])
def test_concurrent_equals_sequential(sequential, flags):
    s = Server("--max-num-seqs", "32", *flags)
    try:
        c = OpenAI(base_url=s.base + "/v1", api_key="x", max_retries=0, timeout=120)
        got = run_all(c, requests(), concurrent=True)
        assert got == sequential
    finally:
        s.stop()
