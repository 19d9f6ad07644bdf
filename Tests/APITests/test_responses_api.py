"""The OpenAI Responses API (POST /v1/responses) through the official `openai` SDK against a
real server running the scripted fixture model (scripts/make_scripted_model.py). The same
conversation through Chat Completions is the reference: same greedy text, same token counts.
The server is stateless: `previous_response_id` is refused, `store` is ignored."""
import json
import os

import openai
import pytest

from conftest import scripted_chat as chat, think_tokens, ROOT, Server

SCRIPTED = os.path.join(ROOT, "Tests", "Fixtures", "models", "scripted-chat")


@pytest.fixture(scope="module")
def env():
    with open(os.path.join(ROOT, "Tests", "Fixtures", "models", "goldens", "scripted-chat.json")) as f:
        golden = {c["name"]: c for c in json.load(f)["cases"]}
    s = Server(model=SCRIPTED)
    client = openai.OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
    yield s, client, golden
    s.stop()


def responses_args(case, **kw):
    """The case's conversation as Responses arguments (system → instructions, function tools flat)."""
    system = "".join(m["content"] for m in case["messages"] if m["role"] == "system")
    args = dict(model="scripted-chat", max_output_tokens=case["max_new_tokens"], temperature=0,
                input=[m for m in case["messages"] if m["role"] != "system"])
    if system:
        args["instructions"] = system
    if case["tools"]:
        args["tools"] = [{"type": "function", **t["function"]} for t in case["tools"]]
    args.update(kw)
    return args


def summary(r):
    """(reasoning, text, calls) of a Response."""
    reasoning = ["".join(c.text for c in i.content) for i in r.output if i.type == "reasoning"]
    text = "".join(c.text for i in r.output if i.type == "message" for c in i.content)
    calls = [(i.name, json.loads(i.arguments)) for i in r.output if i.type == "function_call"]
    return reasoning, text, calls


@pytest.mark.parametrize("name", ["plain", "think", "json", "tool"])
def test_greedy_output_and_usage_equal_chat_completions(env, name):
    s, client, golden = env
    case = golden[name]
    chat(client, case)
    ref = chat(client, case)   # the prefix cache is warm now, as it is for the request below
    r = client.responses.create(**responses_args(case))
    assert r.object == "response" and r.id.startswith("resp_") and r.status == "completed"
    msg = ref.choices[0].message
    reasoning, text, calls = summary(r)
    assert reasoning == ([msg.reasoning_content] if getattr(msg, "reasoning_content", None) else [])
    assert text == (msg.content or "") and r.output_text == text
    assert calls == [(c.function.name, json.loads(c.function.arguments)) for c in msg.tool_calls or []]
    for item in r.output:
        if item.type == "message":
            assert item.role == "assistant" and item.status == "completed"
            assert [c.annotations for c in item.content] == [[]]
        if item.type == "function_call":
            assert item.id.startswith("fc_") and item.call_id and item.status == "completed"
    assert r.usage.input_tokens == ref.usage.prompt_tokens == len(case["prompt_ids"])
    assert r.usage.input_tokens_details.cached_tokens == ref.usage.prompt_tokens_details.cached_tokens
    assert r.usage.output_tokens == ref.usage.completion_tokens
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    expected_reasoning = think_tokens(s, case) if name == "think" else 0
    assert r.usage.output_tokens_details.reasoning_tokens == expected_reasoning
    assert ref.usage.completion_tokens_details.reasoning_tokens == expected_reasoning


@pytest.mark.parametrize("name", ["plain", "think", "tool"])
def test_streamed_response_equals_the_non_streamed_one(env, name):
    s, client, golden = env
    case = golden[name]
    whole = client.responses.create(**responses_args(case))
    seen = []
    with client.responses.stream(**responses_args(case)) as stream:
        for event in stream:   # typed by the SDK; its accumulator raises on inconsistent events
            seen.append(event)
        final = stream.get_final_response()
    numbers = [e.sequence_number for e in seen]
    assert numbers == sorted(set(numbers)) and numbers[0] == 0
    types = [e.type for e in seen]
    assert types[:2] == ["response.created", "response.in_progress"] and types[-1] == "response.completed"
    assert summary(final) == summary(whole)
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens == whole.usage.input_tokens
    streamed_text = "".join(e.delta for e in seen if e.type == "response.output_text.delta")
    assert streamed_text == summary(whole)[1]
    streamed_reasoning = "".join(e.delta for e in seen if e.type == "response.reasoning_text.delta")
    assert ([streamed_reasoning] if streamed_reasoning else []) == summary(whole)[0]
    # Item ids of the deltas are those of the added items, and of the final response.
    added = {e.output_index: e.item.id for e in seen if e.type == "response.output_item.added"}
    assert [i.id for i in final.output] == [added[k] for k in sorted(added)]
    for e in seen:
        if hasattr(e, "item_id"):
            assert e.item_id == added[e.output_index]


def test_raw_stream_has_named_events_and_fields(env):
    s, client, golden = env
    status, raw = s.raw("POST", "/v1/responses", dict(responses_args(golden["think"]), stream=True))
    assert status == 200
    events = []
    for block in raw.decode().split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or lines[0].startswith(":"):
            continue
        name = lines[0][len("event: "):]
        data = json.loads("".join(l[len("data: "):] for l in lines[1:]))
        assert data["type"] == name and isinstance(data["sequence_number"], int)
        events.append(data)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    # Strict validation against the SDK's event types (required fields present and typed).
    import pydantic
    from openai.types.responses import ResponseStreamEvent
    adapter = pydantic.TypeAdapter(ResponseStreamEvent)
    for e in events:
        assert adapter.validate_python(e).type == e["type"]
    types = [e["type"] for e in events]
    assert types == ["response.created", "response.in_progress",
                     "response.output_item.added", "response.content_part.added"] + \
        ["response.reasoning_text.delta"] * types.count("response.reasoning_text.delta") + \
        ["response.reasoning_text.done", "response.content_part.done", "response.output_item.done",
         "response.output_item.added", "response.content_part.added"] + \
        ["response.output_text.delta"] * types.count("response.output_text.delta") + \
        ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
    for e in events:
        if e["type"].endswith(".delta"):
            assert {"item_id", "output_index", "content_index", "delta"} <= set(e)
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["usage"]["output_tokens"] > 0
    assert done["output"][0]["content"][0]["type"] == "reasoning_text"


def test_function_call_round_trip(env):
    s, client, golden = env
    case = golden["tool"]
    first = client.responses.create(**responses_args(case))
    [call] = [i for i in first.output if i.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris", "unit": "celsius"}
    follow = responses_args(case, input=case["messages"] + [
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": '{"temperature": 22, "sky": "sunny"}'},
    ])
    second = client.responses.create(**follow)
    assert second.output_text == golden["tool-result"]["content_text"]
    assert not [i for i in second.output if i.type == "function_call"]
    # The whole previous output can be passed back as input items too (what agents do).
    again = client.responses.create(**responses_args(case, input=case["messages"] + [i.model_dump(exclude_none=True) for i in first.output] + [
        {"type": "function_call_output", "call_id": call.call_id, "output": '{"temperature": 22, "sky": "sunny"}'}]))
    assert again.output_text == second.output_text
    ref = client.chat.completions.create(model="scripted-chat", tools=case["tools"], max_tokens=40, temperature=0, messages=case["messages"] + [
        {"role": "assistant", "content": None, "tool_calls": [{"id": call.call_id, "type": "function",
                                                              "function": {"name": call.name, "arguments": call.arguments}}]},
        {"role": "tool", "tool_call_id": call.call_id, "content": '{"temperature": 22, "sky": "sunny"}'}])
    assert ref.choices[0].message.content == second.output_text
    assert ref.usage.prompt_tokens == second.usage.input_tokens


def test_max_output_tokens_is_incomplete(env):
    s, client, golden = env
    r = client.responses.create(**responses_args(golden["plain"], max_output_tokens=2))
    assert r.status == "incomplete" and r.incomplete_details.reason == "max_output_tokens"
    assert r.usage.output_tokens == 2
    status, raw = s.raw("POST", "/v1/responses", dict(responses_args(golden["plain"], max_output_tokens=2), stream=True))
    last = [l for l in raw.decode().splitlines() if l.startswith("data: ")][-1]
    assert json.loads(last[6:])["type"] == "response.incomplete"


def test_request_fields_are_echoed(env):
    s, client, golden = env
    r = client.responses.create(model="scripted-chat", input="Hi there!", instructions="Be nice.", max_output_tokens=5,
                                temperature=0, metadata={"k": "v"}, store=True, parallel_tool_calls=False, user="u1")
    assert r.instructions == "Be nice." and r.max_output_tokens == 5 and r.metadata == {"k": "v"}
    assert r.parallel_tool_calls is False and r.previous_response_id is None and r.model_dump()["store"] is False


def test_bad_input_is_400_naming_the_field(env):
    s, client, golden = env
    cases = [
        (dict(input="x", previous_response_id="resp_123"), "previous_response_id"),
        (dict(input="x", tools=[{"type": "web_search"}]), "tools[0].type"),
        (dict(input=[{"role": "user", "content": [{"type": "input_image", "image_url": "http://x"}]}]), "input[0].content[0].type"),
        (dict(input="x", max_output_tokens=0), "max_output_tokens"),
        (dict(input="x", temperature=5), "temperature"),
        (dict(input="x", text={"format": {"type": "yaml"}}), "text.format.type"),
        (dict(input="x", tool_choice={"type": "function", "name": "nope"}), "tool_choice"),
        (dict(), "input"),
    ]
    for body, field in cases:
        with pytest.raises(openai.BadRequestError) as e:
            client.responses.create(model="scripted-chat", **body)
        err = e.value.body
        assert err["type"] == "invalid_request_error" and err["param"] == field, err
    # A schema that cannot be enforced is the chat path's 400, named by this API's field.
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model="scripted-chat", input="x", max_output_tokens=10,
                                text={"format": {"type": "json_schema", "name": "x", "schema": {"type": "string", "not": {"format": "email"}}}})
    assert e.value.body["param"].startswith("text.format"), e.value.body


SCHEMA = {"type": "object", "properties": {"who": {"type": "string", "maxLength": 16}, "year": {"type": "integer", "minimum": 1800, "maximum": 2100}},
          "required": ["who", "year"], "additionalProperties": False}


@pytest.mark.parametrize("stream", [False, True])
def test_text_format_json_schema_constrains_the_answer(env, stream):
    import jsonschema
    s, client, golden = env
    # Sampled without a seed: the budget covers the grammar's longest answer (9 whitespace
    # positions of up to a newline and 24 spaces, 16 characters each possibly a 6-byte escape,
    # a zero fraction of up to 16 digits), so every answer completes.
    args = dict(model="scripted-chat", input="Who wrote the first program?", max_output_tokens=500, temperature=1,
                text={"format": {"type": "json_schema", "name": "answer", "schema": SCHEMA, "strict": True}})
    if stream:
        with client.responses.stream(**args) as st:
            r = st.get_final_response()
    else:
        r = client.responses.create(**args)
    assert r.status == "completed"
    jsonschema.validate(json.loads(r.output_text), SCHEMA)
    # JSON mode bounds nothing, so a random-weight answer may run to max_output_tokens.
    r = client.responses.create(model="scripted-chat", input="Anything", max_output_tokens=200, text={"format": {"type": "json_object"}})
    if r.status == "completed":
        assert isinstance(json.loads(r.output_text), dict)
    else:
        assert r.incomplete_details.reason == "max_output_tokens" and r.output_text.startswith("{")


@pytest.mark.parametrize("name", ["think", "tool"])
def test_raw_response_validates_strictly(env, name):
    """The SDK builds responses without validation; validate the raw body against its model."""
    from openai.types.responses import Response
    s, client, golden = env
    status, raw = s.raw("POST", "/v1/responses", responses_args(golden[name]))
    assert status == 200
    r = Response.model_validate(json.loads(raw))
    assert r.usage.input_tokens == len(golden[name]["prompt_ids"])
    assert [i.type for i in r.output] == (["reasoning", "message"] if name == "think" else ["function_call"])
