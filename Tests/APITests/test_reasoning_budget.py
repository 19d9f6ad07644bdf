"""The think-block budget (issue 16): `reasoning_budget`, `reasoning_effort` and the server's
`--reasoning-budget`, on the scripted fixture whose greedy answer to " think" is
`<think>\nThe user wants a short answer.\n</think>\n\nThe answer is 42.`"""
import os

import pytest

from conftest import ROOT, Server

SCRIPTED = os.path.join(ROOT, "Tests", "Fixtures", "models", "scripted-chat")
ASK = [{"role": "user", "content": "Please think first: what is six times seven?"}]


def client_of(server):
    from openai import OpenAI
    return OpenAI(base_url=server.base + "/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def servers():
    free = Server(model=SCRIPTED)
    limited = Server("--reasoning-budget", "3", model=SCRIPTED)
    yield client_of(free), client_of(limited)
    free.stop()
    limited.stop()


def answer(client, stream=False, **kw):
    args = dict(model="m", messages=ASK, max_tokens=40, temperature=0, **kw)
    if not stream:
        m = client.chat.completions.create(**args).choices[0]
        return getattr(m.message, "reasoning_content", None) or "", m.message.content or "", m.finish_reason
    r, c, f = "", "", None
    for chunk in client.chat.completions.create(stream=True, **args):
        for ch in chunk.choices:
            r += getattr(ch.delta, "reasoning_content", None) or ""
            c += ch.delta.content or ""
            f = ch.finish_reason or f
    return r, c, f


def test_without_a_budget_the_block_is_whole(servers):
    free, _ = servers
    assert answer(free)[:2] == ("The user wants a short answer.", "The answer is 42.")


@pytest.mark.parametrize("stream", [False, True])
def test_a_request_budget_closes_the_block(servers, stream):
    free, _ = servers
    reasoning, content, _ = answer(free, stream=stream, extra_body={"reasoning_budget": 2})
    full = "The user wants a short answer."
    # Two tokens of reasoning kept, the rest cut; the tag never leaks into the answer.
    assert reasoning and full.startswith(reasoning) and len(reasoning) < len(full)
    assert "<think>" not in content and "</think>" not in content


def test_the_server_default_applies_and_requests_override_it(servers):
    free, limited = servers
    full = "The user wants a short answer."
    r3, _, _ = answer(limited)
    assert r3 and full.startswith(r3) and len(r3) < len(full)
    assert answer(limited, extra_body={"reasoning_budget": -1})[0] == full
    assert answer(limited, reasoning_effort="high")[0] == full


def test_minimal_effort_leaves_no_reasoning(servers):
    free, _ = servers
    reasoning, content, _ = answer(free, reasoning_effort="minimal")
    assert reasoning == ""
    assert "</think>" not in content


def test_bad_values_are_400s(servers):
    free, _ = servers
    import openai
    for body in ({"reasoning_effort": "max"}, {"reasoning_budget": -2}, {"reasoning_budget": "x"}):
        with pytest.raises(openai.BadRequestError) as e:
            free.chat.completions.create(model="m", messages=ASK, max_tokens=4, extra_body=body)
        assert e.value.body["param"] in ("reasoning_effort", "reasoning_budget")


def test_a_loop_inside_the_think_block_closes_the_block(servers):
    """With the loop guard on, a loop inside an open think block closes the block (the engine
    appends `</think>`) instead of ending the answer; a loop after it still ends it."""
    import json
    s = Server("--loop-guard", "4:3", model=SCRIPTED)
    try:
        body = {"messages": [{"role": "user", "content": "Say it forever."}, {"role": "assistant", "content": "<think>"}],
                "continue_final_message": True, "max_tokens": 60, "temperature": 0, "reasoning_format": "none", "logprobs": True}
        status, raw = s.raw("POST", "/v1/chat/completions", body)
        assert status == 200, raw
        choice = json.loads(raw)["choices"][0]
        tokens = [t["token"] for t in choice["logprobs"]["content"]]
        text = choice["message"]["content"]
        # The scripted chain loops on ">" inside the block: three copies, then the close the engine appends.
        assert text.startswith(">>>\n</think>"), text
        assert text.count("</think>") == 1
        assert "".join(tokens[3:7]) == "\n</think>"
        assert choice["finish_reason"] == "length" and choice["stop_reason"] == "loop"
        body.pop("reasoning_format")
        status, raw = s.raw("POST", "/v1/chat/completions", body)
        assert json.loads(raw)["choices"][0]["message"]["reasoning_content"] == ">>>"
    finally:
        s.stop()
