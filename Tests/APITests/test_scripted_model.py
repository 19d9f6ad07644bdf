"""Tool calls and reasoning through the official openai SDK with REAL model output: the scripted
fixture (scripts/make_scripted_model.py) emits a chosen chain after a trigger word in the prompt
(" weather" → an LFM2 tool call, " think" → a think block, " JSON" → a JSON object, a tool
response → an answer, " forever" → an endless loop)."""
import json
import os

import pytest

from conftest import ROOT, Server

SCRIPTED = os.path.join(ROOT, "Tests", "Fixtures", "models", "scripted-chat")


@pytest.fixture(scope="module")
def scripted():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "scripted-chat.json")) as f:
        golden = {c["name"]: c for c in json.load(f)["cases"]}
    s = Server(model=SCRIPTED)
    from openai import OpenAI
    client = OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
    yield client, golden
    s.stop()


def generated(case):
    """Completion tokens as the server counts them: the final <|im_end|> (id 7) is not one."""
    return len([i for i in case["greedy_ids"] if i != 7])


def chat(client, case, stream=False, **kw):
    args = dict(model="scripted-chat", messages=case["messages"], max_tokens=case["max_new_tokens"], temperature=0)
    if case["tools"]:
        args["tools"] = case["tools"]
    args.update(kw)
    return client.chat.completions.create(stream=stream, **args)


def test_tool_call_is_parsed(scripted):
    client, golden = scripted
    case = golden["tool"]
    r = chat(client, case)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert not choice.message.content
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    # The server rendered and tokenized the prompt exactly as transformers did.
    assert r.usage.prompt_tokens == len(case["prompt_ids"])
    assert r.usage.completion_tokens == generated(case)


def test_tool_call_is_parsed_when_streamed(scripted):
    client, golden = scripted
    chunks = list(chat(client, golden["tool"], stream=True, stream_options={"include_usage": True}))
    calls = {}
    content = ""
    for c in chunks:
        if not c.choices:
            continue
        d = c.choices[0].delta
        content += d.content or ""
        for tc in d.tool_calls or []:
            slot = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
            if tc.id:
                slot["id"] = tc.id
            if tc.function and tc.function.name:
                slot["name"] += tc.function.name
            if tc.function and tc.function.arguments:
                slot["arguments"] += tc.function.arguments
    assert content == ""
    assert list(calls) == [0] and calls[0]["id"] and calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    assert chunks[-1].usage.completion_tokens == generated(golden["tool"])


def test_tool_round_trip_answers_from_the_tool_result(scripted):
    client, golden = scripted
    first = chat(client, golden["tool"])
    call = first.choices[0].message.tool_calls[0]
    messages = golden["tool"]["messages"] + [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 22, "sky": "sunny"}'},
    ]
    r = client.chat.completions.create(model="scripted-chat", messages=messages, tools=golden["tool"]["tools"],
                                       max_tokens=40, temperature=0)
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == golden["tool-result"]["content_text"] == "It is sunny in Paris, 22 degrees."
    assert not r.choices[0].message.tool_calls


CALL_TEXT = '[get_weather(city="Paris", unit="celsius")]'


def test_tool_markup_without_tools_stays_text(scripted):
    """No tools: a call the model writes anyway is plain content, without the marker tokens."""
    client, golden = scripted
    case = golden["tool-no-tools"]
    assert "<|tool_call_start|>" in case["greedy_text"]   # the model does emit the markers
    r = chat(client, case)
    assert not r.choices[0].message.tool_calls and r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == CALL_TEXT
    streamed = "".join(c.choices[0].delta.content or "" for c in chat(client, case, stream=True) if c.choices)
    assert streamed == CALL_TEXT


def test_tool_choice_none_returns_the_call_as_plain_text(scripted):
    client, golden = scripted
    case = golden["tool"]
    r = chat(client, case, tool_choice="none")
    assert not r.choices[0].message.tool_calls and r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == CALL_TEXT
    streamed = "".join(c.choices[0].delta.content or "" for c in chat(client, case, stream=True, tool_choice="none")
                       if c.choices)
    assert streamed == CALL_TEXT


def test_reasoning_is_split_out(scripted):
    client, golden = scripted
    case = golden["think"]
    r = chat(client, case)
    msg = r.choices[0].message
    assert r.choices[0].finish_reason == "stop"
    assert msg.content == "The answer is 42."
    assert msg.reasoning_content.strip() == "The user wants a short answer."
    assert "<think>" not in msg.content and "</think>" not in msg.reasoning_content
    assert r.usage.completion_tokens == generated(case)


def test_reasoning_is_split_out_when_streamed(scripted):
    client, golden = scripted
    reasoning, content = "", ""
    for c in chat(client, golden["think"], stream=True):
        if c.choices:
            d = c.choices[0].delta
            reasoning += getattr(d, "reasoning_content", None) or ""
            content += d.content or ""
    assert content == "The answer is 42."
    assert reasoning.strip() == "The user wants a short answer."
    # Same split as the non-streamed response.
    whole = chat(client, golden["think"]).choices[0].message
    assert (whole.reasoning_content, whole.content) == (reasoning, content)


def test_json_answer_and_endless_loop_match_transformers(scripted):
    client, golden = scripted
    r = chat(client, golden["json"])
    assert json.loads(r.choices[0].message.content) == {"name": "Ada", "age": 36}
    assert r.choices[0].message.content == golden["json"]["content_text"]
    loop = golden["loop"]
    r = chat(client, loop)
    assert r.choices[0].finish_reason == "length"
    assert r.choices[0].message.content == loop["content_text"]
    assert r.usage.completion_tokens == len(loop["greedy_ids"]) == loop["max_new_tokens"]


def test_continue_final_assistant_message(scripted):
    """Assistant prefill: the final assistant message is continued (continue_final_message, or
    vLLM's add_generation_prompt: false), the reply holds only the continuation."""
    client, golden = scripted
    case = golden["plain"]
    messages = case["messages"] + [{"role": "assistant", "content": "Hello!"}]
    for extra in ({"continue_final_message": True}, {"add_generation_prompt": False},
                  {"continue_final_message": True, "add_generation_prompt": False}):
        r = client.chat.completions.create(model="scripted-chat", messages=messages, max_tokens=20, temperature=0,
                                           extra_body=extra)
        assert r.choices[0].message.content == " How can I help?", extra
        assert r.choices[0].finish_reason == "stop"
        # The prompt ends inside the assistant turn: no end-of-turn, no new turn.
        assert r.usage.prompt_tokens == len(case["prompt_ids"]) + 2   # "Hello", "!"
    streamed = client.chat.completions.create(model="scripted-chat", messages=messages, max_tokens=20, temperature=0,
                                              stream=True, extra_body={"continue_final_message": True})
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == " How can I help?"


def test_final_assistant_message_without_flags_starts_a_new_turn(scripted):
    """Default (no flags): an assistant message last is a finished turn; a new one is generated."""
    client, golden = scripted
    case = golden["plain"]
    messages = case["messages"] + [{"role": "assistant", "content": "Hello!"}]
    r = client.chat.completions.create(model="scripted-chat", messages=messages, max_tokens=20, temperature=0)
    # + "Hello", "!", "<|im_end|>", "\n", "<|im_start|>", "assistant", "\n"
    assert r.usage.prompt_tokens == len(case["prompt_ids"]) + 7
    assert r.choices[0].message.content != " How can I help?"


def test_continue_final_message_errors(scripted):
    client, golden = scripted
    from openai import BadRequestError
    with pytest.raises(BadRequestError) as e:
        client.chat.completions.create(model="scripted-chat", messages=golden["plain"]["messages"], max_tokens=4,
                                       extra_body={"continue_final_message": True})
    assert "assistant" in e.value.message
    with pytest.raises(BadRequestError):
        client.chat.completions.create(model="scripted-chat", messages=golden["plain"]["messages"] +
                                       [{"role": "assistant", "content": "Hi"}], max_tokens=4,
                                       extra_body={"continue_final_message": True, "add_generation_prompt": True})


LOOP_TEXT = "Again and again and again and again"   # 7 tokens: "Again" then 3 copies of " and again"


def test_loop_guard_per_request(scripted):
    client, golden = scripted
    case = golden["loop"]
    assert case["finish"] == "length"   # without a guard it runs to max_tokens
    r = chat(client, case, extra_body={"loop_guard": {"window": 8, "repeats": 3}})
    choice = r.choices[0]
    assert choice.finish_reason == "length" and choice.stop_reason == "loop"
    assert choice.message.content == LOOP_TEXT and r.usage.completion_tokens == 7
    chunks = list(chat(client, case, stream=True, extra_body={"loop_guard": "8:3"}))
    last = [c for c in chunks if c.choices and c.choices[0].finish_reason][-1]
    assert last.choices[0].finish_reason == "length" and last.choices[0].stop_reason == "loop"
    # /v1/completions too.
    c = client.completions.create(model="scripted-chat", prompt=case["prompt_ids"], max_tokens=24, temperature=0,
                                  extra_body={"loop_guard": {"window": 8, "repeats": 3}})
    assert c.choices[0].finish_reason == "length" and c.choices[0].stop_reason == "loop"
    # Without it, nothing changes.
    plain = chat(client, case)
    assert plain.choices[0].finish_reason == "length" and getattr(plain.choices[0], "stop_reason", None) is None
    assert plain.usage.completion_tokens == case["max_new_tokens"]


def test_loop_guard_bad_value_is_400(scripted):
    client, golden = scripted
    from openai import BadRequestError
    for bad in ({"window": 0, "repeats": 3}, {"window": 8}, "8x3", 5):
        with pytest.raises(BadRequestError) as e:
            chat(client, golden["loop"], extra_body={"loop_guard": bad})
        assert "loop_guard" in e.value.message


def test_loop_guard_server_default_and_metric():
    import urllib.request
    s = Server("--loop-guard", "8:3", model=SCRIPTED)
    try:
        from openai import OpenAI
        client = OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
        with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "scripted-chat.json")) as f:
            case = {c["name"]: c for c in json.load(f)["cases"]}["loop"]
        r = chat(client, case)
        assert r.choices[0].stop_reason == "loop" and r.choices[0].message.content == LOOP_TEXT
        off = chat(client, case, extra_body={"loop_guard": False})
        assert off.usage.completion_tokens == case["max_new_tokens"]
        with urllib.request.urlopen(s.base + "/metrics", timeout=30) as m:
            text = m.read().decode()
        assert "lfm_serve_loop_guard_stops_total 1" in text
    finally:
        s.stop()
