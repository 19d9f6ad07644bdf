"""The Anthropic Messages API (POST /v1/messages, /v1/messages/count_tokens) through the
official `anthropic` SDK against a real server running the scripted fixture model
(scripts/make_scripted_model.py: " weather" → a tool call, " think" → a think block,
" JSON" → a JSON answer, a tool result → an answer, else a greeting). The same conversation
through Chat Completions is the reference: same greedy text, same token counts."""
import json
import os

import anthropic
import pytest

from conftest import scripted_chat as chat, think_tokens, ROOT, Server

SCRIPTED = os.path.join(ROOT, "Tests", "Fixtures", "models", "scripted-chat")


@pytest.fixture(scope="module")
def env():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "scripted-chat.json")) as f:
        golden = {c["name"]: c for c in json.load(f)["cases"]}
    s = Server(model=SCRIPTED)
    from openai import OpenAI
    oa = OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
    an = anthropic.Anthropic(base_url=s.base, api_key="unused", max_retries=0, timeout=60)
    yield s, oa, an, golden
    s.stop()


def anthropic_args(case, **kw):
    """The case's conversation as Anthropic arguments (system apart, tools with input_schema)."""
    system = "".join(m["content"] for m in case["messages"] if m["role"] == "system")
    # This SDK version has no sampling arguments; the fields go in the body (greedy here).
    args = dict(model="scripted-chat", max_tokens=case["max_new_tokens"], extra_body={"temperature": 0},
                messages=[m for m in case["messages"] if m["role"] != "system"])
    if system:
        args["system"] = system
    if case["tools"]:
        args["tools"] = [{"name": t["function"]["name"], "description": t["function"]["description"],
                          "input_schema": t["function"]["parameters"]} for t in case["tools"]]
    args.update(kw)
    return args


@pytest.mark.parametrize("name", ["plain", "think", "json", "tool"])
def test_greedy_output_and_usage_equal_chat_completions(env, name):
    s, oa, an, golden = env
    case = golden[name]
    ref = chat(oa, case)
    ref = chat(oa, case)   # the prefix cache is warm now, as it is for the request below
    m = an.messages.create(**anthropic_args(case))
    assert m.type == "message" and m.role == "assistant" and m.id.startswith("msg_")
    msg = ref.choices[0].message
    thinking = [b.thinking for b in m.content if b.type == "thinking"]
    text = "".join(b.text for b in m.content if b.type == "text")
    calls = [b for b in m.content if b.type == "tool_use"]
    assert thinking == ([msg.reasoning_content] if getattr(msg, "reasoning_content", None) else [])
    assert text == (msg.content or "")
    assert [(c.name, c.input) for c in calls] == [(c.function.name, json.loads(c.function.arguments)) for c in msg.tool_calls or []]
    assert m.stop_reason == {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}[ref.choices[0].finish_reason]
    # Anthropic's meaning: input_tokens excludes the prompt tokens read from the prefix cache.
    cached = ref.usage.prompt_tokens_details.cached_tokens
    assert m.usage.cache_read_input_tokens == cached
    assert m.usage.input_tokens == ref.usage.prompt_tokens - cached
    assert m.usage.input_tokens + m.usage.cache_read_input_tokens == len(case["prompt_ids"])
    assert m.usage.output_tokens == ref.usage.completion_tokens
    if name == "think":
        assert m.usage.output_tokens_details.thinking_tokens == think_tokens(s, case)
        assert ref.usage.completion_tokens_details.reasoning_tokens == think_tokens(s, case)


@pytest.mark.parametrize("name", ["plain", "think", "tool"])
def test_streamed_message_equals_the_non_streamed_one(env, name):
    s, oa, an, golden = env
    case = golden[name]
    whole = an.messages.create(**anthropic_args(case))
    texts = []
    with an.messages.stream(**anthropic_args(case)) as stream:
        for event in stream:   # the SDK's typed events: raises on shapes it does not know
            assert event.type in {"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                                  "message_delta", "message_stop", "text", "thinking", "input_json", "signature"}
        final = stream.get_final_message()
    strip = lambda blocks: [{k: v for k, v in b.model_dump().items() if k != "id"} for b in blocks]
    assert strip(final.content) == strip(whole.content)
    assert final.stop_reason == whole.stop_reason
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens + final.usage.cache_read_input_tokens == len(case["prompt_ids"])


def test_raw_stream_events_in_order(env):
    s, oa, an, golden = env
    body = dict(anthropic_args(golden["think"]), stream=True)
    status, raw = s.raw("POST", "/v1/messages", body)
    assert status == 200
    events = []
    for block in raw.decode().split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or lines[0].startswith(":"):
            continue
        name = lines[0][len("event: "):]
        data = json.loads("".join(l[len("data: "):] for l in lines[1:]))
        assert data["type"] == name
        events.append(data)
    # Strict validation against the SDK's event types (required fields present and typed).
    import pydantic
    from anthropic.types import RawMessageStreamEvent
    adapter = pydantic.TypeAdapter(RawMessageStreamEvent)
    for e in events:
        if e["type"] != "ping":
            assert adapter.validate_python(e).type == e["type"]
    types = [e["type"] for e in events]
    assert types[:2] == ["message_start", "ping"] and types[-2:] == ["message_delta", "message_stop"]
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    deltas = {e["delta"]["type"] for e in events if e["type"] == "content_block_delta"}
    assert deltas == {"thinking_delta", "text_delta"}
    assert events[-2]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}


def test_tool_round_trip_with_tool_result(env):
    s, oa, an, golden = env
    case = golden["tool"]
    first = an.messages.create(**anthropic_args(case))
    assert first.stop_reason == "tool_use"
    [call] = [b for b in first.content if b.type == "tool_use"]
    assert call.name == "get_weather" and call.input == {"city": "Paris", "unit": "celsius"}
    messages = case["messages"] + [
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                      "content": '{"temperature": 22, "sky": "sunny"}'}]},
    ]
    second = an.messages.create(**anthropic_args(case, messages=messages))
    assert second.stop_reason == "end_turn"
    assert [b.type for b in second.content] == ["text"]
    assert second.content[0].text == golden["tool-result"]["content_text"]
    # The same conversation through Chat Completions: same prompt, same answer.
    ref = oa.chat.completions.create(model="scripted-chat", tools=case["tools"], max_tokens=40, temperature=0, messages=case["messages"] + [
        {"role": "assistant", "content": None, "tool_calls": [{"id": call.id, "type": "function",
                                                              "function": {"name": "get_weather", "arguments": json.dumps(call.input)}}]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 22, "sky": "sunny"}'}])
    assert ref.choices[0].message.content == second.content[0].text
    assert ref.usage.prompt_tokens == second.usage.input_tokens + second.usage.cache_read_input_tokens


def test_count_tokens_equals_the_prompt(env):
    s, oa, an, golden = env
    for name in ["plain", "json", "tool"]:
        args = anthropic_args(golden[name])
        del args["max_tokens"], args["extra_body"]
        assert an.messages.count_tokens(**args).input_tokens == len(golden[name]["prompt_ids"])
    # A thinking block in the history reaches the template as the message's reasoning, exactly
    # as Chat Completions' reasoning_content does.
    history = [{"role": "user", "content": "Hi there!"},
               {"role": "assistant", "content": [{"type": "thinking", "thinking": "Greet back.", "signature": ""},
                                                 {"type": "text", "text": "Hello!"}]},
               {"role": "user", "content": "And now?"}]
    counted = an.messages.count_tokens(model="scripted-chat", messages=history).input_tokens
    ref = oa.chat.completions.create(model="scripted-chat", max_tokens=1, messages=[
        history[0], {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."}, history[2]])
    assert counted == ref.usage.prompt_tokens


def test_stop_sequences_and_max_tokens(env):
    s, oa, an, golden = env
    m = an.messages.create(**anthropic_args(golden["plain"], stop_sequences=["How"]))
    assert m.stop_reason == "stop_sequence" and m.stop_sequence == "How"
    assert m.content[0].text == "Hello! "
    m = an.messages.create(**anthropic_args(golden["plain"], max_tokens=2))
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens == 2


def test_bad_input_is_400_in_anthropic_shape(env):
    s, oa, an, golden = env
    cases = [
        ({"model": "scripted-chat", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
        ({"model": "scripted-chat", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
        ({"model": "scripted-chat", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "temperature": 3}, "temperature"),
        ({"model": "scripted-chat", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
          "tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "web_search_20250305"),
    ]
    for body, field in cases:
        for path in ("/v1/messages", "/messages"):
            status, raw = s.raw("POST", path, body)
            assert status == 400, raw
            err = json.loads(raw)
            assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
            assert field in err["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as e:
        an.messages.create(model="scripted-chat", max_tokens=5, messages=[{"role": "user", "content": "x"}], extra_body={"top_k": -3})
    assert e.value.body["error"]["type"] == "invalid_request_error" and "top_k" in e.value.body["error"]["message"]
    status, raw = s.raw("POST", "/v1/messages", b"{not json")
    assert status == 400 and json.loads(raw)["type"] == "error"


def test_authentication_error_in_anthropic_shape():
    s = Server("--api-key", "sekret")
    try:
        bad = anthropic.Anthropic(base_url=s.base, api_key="wrong", max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as e:
            bad.messages.create(model="tiny-chat", max_tokens=2, messages=[{"role": "user", "content": "x"}])
        assert e.value.body == {"type": "error", "error": {"type": "authentication_error", "message": "Incorrect API key provided."}}
        # x-api-key (what the SDK sends) is accepted.
        good = anthropic.Anthropic(base_url=s.base, api_key="sekret", max_retries=0)
        assert good.messages.create(model="tiny-chat", max_tokens=2, messages=[{"role": "user", "content": "x"}]).usage.output_tokens >= 1
        # The OpenAI routes keep OpenAI's shape.
        status, raw = s.raw("POST", "/v1/chat/completions", {"messages": []})
        assert status == 401 and "error" in json.loads(raw) and "type" not in json.loads(raw)
    finally:
        s.stop()


@pytest.mark.parametrize("name", ["think", "tool"])
def test_raw_message_validates_strictly(env, name):
    """The SDK builds messages without validation; validate the raw body against its model."""
    from anthropic.types import Message
    s, oa, an, golden = env
    body = anthropic_args(golden[name])
    body.update(body.pop("extra_body"))
    status, raw = s.raw("POST", "/v1/messages", body)
    assert status == 200
    m = Message.model_validate(json.loads(raw))
    assert m.usage.input_tokens + m.usage.cache_read_input_tokens == len(golden[name]["prompt_ids"])
    assert [b.type for b in m.content] == (["thinking", "text"] if name == "think" else ["tool_use"])


@pytest.mark.parametrize("stream", [False, True])
def test_output_config_format_constrains_the_answer(env, stream):
    """`output_config.format` json_schema takes the chat path's structured outputs."""
    import jsonschema
    s, oa, an, golden = env
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 99}, "ok": {"type": "boolean"}},
              "required": ["n", "ok"], "additionalProperties": False}
    # Sampled (temperature 1, no seed): the budget covers the grammar's longest answer — 9
    # whitespace positions of at most a newline and 24 spaces, one token each, plus the members
    # and a zero fraction of up to 16 digits — so every answer completes (100 tokens did not).
    body = {"model": "scripted-chat", "max_tokens": 400, "messages": [{"role": "user", "content": "Hello"}],
            "output_config": {"format": {"type": "json_schema", "schema": schema}}, "stream": stream}
    status, raw = s.raw("POST", "/v1/messages", body)
    assert status == 200, raw
    if stream:
        events = [json.loads(l[6:]) for l in raw.decode().splitlines() if l.startswith("data: ")]
        text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
        stop = [e["delta"]["stop_reason"] for e in events if e["type"] == "message_delta"]
        assert stop == ["end_turn"], stop
    else:
        m = json.loads(raw)
        text = "".join(b["text"] for b in m["content"] if b["type"] == "text")
        assert m["stop_reason"] == "end_turn", m
    jsonschema.validate(json.loads(text), schema)
