"""Prompt log-probabilities on /v1/completions (`echo` + `logprobs`, `max_tokens` 0): the
log-likelihood requests of evaluation harnesses, through the openai SDK and in exactly the shape
lm-evaluation-harness's `local-completions` model sends, against transformers' values
(scripts/make_prompt_logprob_goldens.py → goldens/prompt-logprobs.json)."""
import json
import math
import os
from operator import itemgetter

import pytest

from conftest import ROOT, Server

# tiny-chat has BF16 weights (exact in the engine's F32 math; LFM_KERNELS_EXACT_BF16=1 keeps
# AVX-512 from rounding their activations to bf16) and the server runs with an F32 KV cache
# here, so the only differences are float32 summation orders.
TOL = 1e-3


@pytest.fixture(scope="module")
def scoring():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "prompt-logprobs.json")) as f:
        cases = [c for c in json.load(f)["cases"] if c["fixture"] == "models/tiny-chat"]
    s = Server("--kv-cache-dtype", "f32", env={"LFM_KERNELS_EXACT_BF16": "1"})
    from openai import OpenAI
    client = OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
    yield s, client, cases
    s.stop()


def test_echo_logprobs_of_the_prompt_match_transformers(scoring):
    _, client, cases = scoring
    for case in cases:
        r = client.completions.create(model="tiny-chat", prompt=case["text"], echo=True, logprobs=1, max_tokens=0)
        choice = r.choices[0]
        assert choice.text == case["text"]
        assert choice.finish_reason == "length"
        assert r.usage.completion_tokens == 0 and r.usage.prompt_tokens == len(case["prompt"])
        lp = choice.logprobs
        assert lp.tokens == case["tokens"]
        assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
        for got, want in zip(lp.token_logprobs[1:], case["token_logprobs"][1:]):
            assert abs(got - want) < TOL, (got, want)
        # The single alternative is transformers' argmax at each position.
        for got, want in zip(lp.top_logprobs[1:], case["top"][1:]):
            [(_, value)] = got.items()
            assert abs(value - want[0][1]) < TOL
        # text_offset: where each token starts in the returned text (the BOS token is not in it).
        assert lp.tokens[0] == "<|startoftext|>" and lp.text_offset[:2] == [0, 0]
        assert [choice.text[o:o + len(t)] for o, t in zip(lp.text_offset[1:], lp.tokens[1:])] == lp.tokens[1:]


def test_echo_with_generated_tokens_lists_prompt_then_completion(scoring):
    _, client, cases = scoring
    case = cases[0]
    r = client.completions.create(model="tiny-chat", prompt=case["prompt"], echo=True, logprobs=2, max_tokens=3,
                                  temperature=0)
    lp = r.choices[0].logprobs
    n = len(case["prompt"])
    assert len(lp.tokens) == n + 3 and len(lp.token_logprobs) == n + 3 and len(lp.text_offset) == n + 3
    assert all(v is not None and v <= 0 for v in lp.token_logprobs[1:])
    assert all(len(t) <= 2 for t in lp.top_logprobs[1:])
    assert r.choices[0].text.startswith(case["text"])
    assert "".join(lp.tokens[1:]) == r.choices[0].text   # all but the BOS token
    assert lp.text_offset[-1] == len(r.choices[0].text) - len(lp.tokens[-1])


def test_cached_prompt_is_still_scored(scoring):
    """A prompt already in the prefix cache still gets every position's log-probability."""
    _, client, cases = scoring
    case = cases[1]
    long_text = case["text"] * 4
    client.completions.create(model="tiny-chat", prompt=long_text, max_tokens=1)
    first = client.completions.create(model="tiny-chat", prompt=long_text, echo=True, logprobs=1, max_tokens=0)
    again = client.completions.create(model="tiny-chat", prompt=long_text, echo=True, logprobs=1, max_tokens=0)
    assert first.choices[0].logprobs.token_logprobs == again.choices[0].logprobs.token_logprobs
    assert None not in first.choices[0].logprobs.token_logprobs[1:]


def test_max_tokens_zero_needs_echo(scoring):
    s, _, _ = scoring
    status, body = s.raw("POST", "/v1/completions", {"model": "tiny-chat", "prompt": "Hi", "max_tokens": 0})
    assert status == 400 and json.loads(body)["error"]["param"] == "max_tokens"
    status, body = s.raw("POST", "/v1/chat/completions",
                         {"model": "tiny-chat", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 0})
    assert status == 400


def test_echo_without_logprobs_and_streamed_echo(scoring):
    s, client, cases = scoring
    r = client.completions.create(model="tiny-chat", prompt=cases[0]["text"], echo=True, max_tokens=0)
    assert r.choices[0].text == cases[0]["text"] and r.choices[0].logprobs is None
    chunks = list(client.completions.create(model="tiny-chat", prompt=cases[0]["text"], echo=True, max_tokens=0,
                                            stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == cases[0]["text"]


# lm-evaluation-harness 0.4.13, lm_eval/models/openai_completions.py (MIT License),
# LocalCompletionsAPI.parse_logprobs, verbatim but for the signature's type hints.
def parse_logprobs(outputs, tokens=None, ctxlens=None, **kwargs):
    res = []
    if not isinstance(outputs, list):
        outputs = [outputs]
    for out in outputs:
        for choice, ctxlen in zip(sorted(out["choices"], key=itemgetter("index")), ctxlens):
            assert ctxlen > 0, "Context length must be greater than 0"
            logprobs = sum(choice["logprobs"]["token_logprobs"][ctxlen:-1])
            tokens_logprobs = choice["logprobs"]["token_logprobs"][ctxlen:-1]
            top_logprobs = choice["logprobs"]["top_logprobs"][ctxlen:-1]
            is_greedy = True
            for tok, top in zip(tokens_logprobs, top_logprobs):
                if tok != max(top.values()):
                    is_greedy = False
                    break
            res.append((logprobs, is_greedy))
    return res


def test_lm_eval_local_completions_loglikelihood_request(scoring):
    """The body `LocalCompletionsAPI._create_payload(generate=False)` posts for a batch of
    (context, continuation) token lists: prompt as token-id lists, echo, max_tokens 1,
    logprobs 1, temperature 0, seed; parsed as lm-eval parses it."""
    s, _, cases = scoring
    inputs, ctxlens, expected = [], [], []
    for case in cases:
        ids = case["prompt"]
        for ctxlen in (2, len(ids) - 1):
            inputs.append(ids)
            ctxlens.append(ctxlen)
            cont = case["token_logprobs"][ctxlen:]
            greedy = all(case["top"][i][0][0] == ids[i] for i in range(ctxlen, len(ids)))
            expected.append((sum(cont), greedy))
    payload = {"model": "tiny-chat", "prompt": inputs, "temperature": 0, "max_tokens": 1, "logprobs": 1,
               "seed": 1234, "echo": True}
    status, body = s.raw("POST", "/v1/completions", payload)
    assert status == 200, body
    out = json.loads(body)
    assert len(out["choices"]) == len(inputs)
    got = parse_logprobs(out, tokens=inputs, ctxlens=ctxlens)
    for (lp, greedy), (want_lp, want_greedy) in zip(got, expected):
        assert math.isfinite(lp) and abs(lp - want_lp) < TOL * 10, (lp, want_lp)
        assert greedy == want_greedy
