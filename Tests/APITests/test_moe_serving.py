"""A mixture-of-experts model (Lfm2MoeForCausalLM, the moe-chat fixture: real tokenizer, random
weights, scripts/make_moe_fixtures.py) behind every API the dense models serve, through the
official SDKs: greedy output equal to transformers', streaming, n > 1, structured outputs,
forced tool calls, the Responses and Anthropic Messages APIs, and the prefix cache."""
import json
import os

import jsonschema
import pytest

from conftest import ROOT, Server

MOE = os.path.join(ROOT, "Tests", "Fixtures", "models", "moe-chat")
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["c", "f"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}


@pytest.fixture(scope="module")
def moe():
    # f32 keys and values: the random fixture has near-ties (smallest greedy margin 1.7e-4 in
    # its golden), which the default f16 cache's rounding can flip.
    s = Server("--kv-cache-dtype", "f32", model=MOE)
    from openai import OpenAI
    yield s, OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=120)
    s.stop()


@pytest.fixture(scope="module")
def golden():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "moe-chat.json")) as f:
        return json.load(f)


def test_greedy_completion_equals_transformers(moe, golden):
    _, client = moe
    for prompt, ids, text in zip(golden["prompts"], golden["greedy"], golden["greedy_text"]):
        r = client.completions.create(model="moe-chat", prompt=prompt, max_tokens=len(ids), temperature=0,
                                      extra_body={"ignore_eos": True})
        assert r.choices[0].text == text
        assert r.usage.completion_tokens == len(ids)


def test_chat_streams_the_same_text_as_non_streamed(moe):
    _, client = moe
    args = dict(model="moe-chat", messages=[{"role": "user", "content": "Name three colours."}], max_tokens=24,
                temperature=0, extra_body={"ignore_eos": True})
    whole = client.chat.completions.create(**args).choices[0].message.content
    pieces = [c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **args) if c.choices]
    assert whole and "".join(pieces) == whole


def test_n_choices_and_logprobs(moe):
    _, client = moe
    r = client.chat.completions.create(model="moe-chat", messages=[{"role": "user", "content": "Hello!"}], max_tokens=8,
                                       n=3, temperature=1, seed=5, logprobs=True, top_logprobs=2)
    assert len(r.choices) == 3
    for c in r.choices:
        assert c.logprobs.content and all(t.logprob <= 0 and len(t.top_logprobs) == 2 for t in c.logprobs.content)


def test_json_schema_answer_validates(moe):
    _, client = moe
    schema = {"type": "object", "properties": {"colour": {"enum": ["red", "green", "blue"]},
                                               "count": {"type": "integer", "minimum": 0, "maximum": 9}},
              "required": ["colour", "count"], "additionalProperties": False}
    for seed in (1, 2):
        r = client.chat.completions.create(model="moe-chat", messages=[{"role": "user", "content": "A colour, as JSON."}],
                                           max_tokens=200, temperature=1, seed=seed,
                                           response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema, "strict": True}})
        assert r.choices[0].finish_reason == "stop"
        jsonschema.validate(json.loads(r.choices[0].message.content), schema)


def test_forced_tool_call_arguments_validate(moe):
    _, client = moe
    r = client.chat.completions.create(model="moe-chat", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=[WEATHER], tool_choice="required", max_tokens=300, temperature=1, seed=3)
    c = r.choices[0]
    assert c.finish_reason == "tool_calls" and c.message.tool_calls
    for call in c.message.tool_calls:
        assert call.function.name == "get_weather"
        jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


def test_responses_and_anthropic_messages(moe):
    s, client = moe
    r = client.responses.create(model="moe-chat", input="Hello!", max_output_tokens=8, temperature=0)
    assert r.status in ("completed", "incomplete") and r.usage.output_tokens > 0
    import anthropic
    an = anthropic.Anthropic(base_url=s.base, api_key="unused", max_retries=0, timeout=120)
    m = an.messages.create(model="moe-chat", max_tokens=8, messages=[{"role": "user", "content": "Hello!"}])
    assert m.usage.output_tokens > 0 and m.content


def test_prefix_cache_serves_a_repeated_prompt(moe):
    _, client = moe
    messages = [{"role": "system", "content": "You are a careful assistant. " * 20}, {"role": "user", "content": "Hi"}]
    first = client.chat.completions.create(model="moe-chat", messages=messages, max_tokens=4, temperature=0)
    again = client.chat.completions.create(model="moe-chat", messages=messages, max_tokens=4, temperature=0)
    assert again.choices[0].message.content == first.choices[0].message.content
    details = again.usage.prompt_tokens_details
    assert details is not None and details.cached_tokens >= 16
