"""Structured outputs end to end (issue 15) with the official openai SDK against a real server on
a random tiny checkpoint: whatever the random weights prefer, sampled answers follow the schema
(validated with python `jsonschema`), tool calls forced by `tool_choice` carry valid arguments,
and bad schemas or grammars are 400s naming the problem."""
import json
import os
import re
import shutil
from typing import List, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from conftest import ROOT, Server

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 12},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "role": {"enum": ["admin", "user", "guest"]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3},
        "address": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/address"}]},
        "score": {"type": "number", "minimum": -10, "maximum": 10},
        "active": {"type": "boolean"},
    },
    "required": ["name", "age", "role", "tags", "address", "active"],
    "additionalProperties": False,
    "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10},
                                                         "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                          "required": ["city", "zip"], "additionalProperties": False}},
}

BOUNDED_SCHEMAS = [
    PERSON,
    {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 99}, "minItems": 1, "maxItems": 4},
    {"type": "object", "properties": {"when": {"type": "string", "format": "date"}, "id": {"type": "string", "format": "uuid"},
                                      "kind": {"const": "event"}}, "required": ["when", "id", "kind"], "additionalProperties": False},
    {"oneOf": [{"type": "boolean"}, {"type": "null"}, {"type": "string", "enum": ["a", "b"]}]},
]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["c", "f"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}
ADD = {"type": "function", "function": {
    "name": "add", "parameters": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 99},
                                                                   "b": {"type": "integer", "minimum": 0, "maximum": 99}},
                                  "required": ["a", "b"], "additionalProperties": False}}}

MESSAGES = [{"role": "user", "content": "Give me the answer as JSON."}]


def ask(client, stream=False, **kw):
    args = dict(model="tiny-chat", messages=MESSAGES, max_tokens=400, temperature=1)
    args.update(kw)
    if not stream:
        r = client.chat.completions.create(**args)
        return r.choices[0].message.content, r.choices[0].finish_reason, r
    text, finish, n = "", None, 0
    for chunk in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **args):
        if chunk.usage:
            n = chunk.usage.completion_tokens
        for c in chunk.choices:
            text += c.delta.content or ""
            finish = c.finish_reason or finish
    return text, finish, n


@pytest.mark.parametrize("index", range(len(BOUNDED_SCHEMAS)))
@pytest.mark.parametrize("stream", [False, True])
def test_sampled_answers_validate_and_stop(client, index, stream):
    schema = BOUNDED_SCHEMAS[index]
    for seed in (1, 2, 3):
        text, finish, _ = ask(client, stream=stream, seed=seed,
                              response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema, "strict": True}})
        assert finish == "stop", text
        jsonschema.validate(json.loads(text), schema, format_checker=jsonschema.FormatChecker())


def test_streaming_matches_non_streaming(client):
    rf = {"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}
    text, finish, r = ask(client, seed=11, response_format=rf)
    streamed, sfinish, tokens = ask(client, stream=True, seed=11, response_format=rf)
    assert (streamed, sfinish, tokens) == (text, finish, r.usage.completion_tokens)


def test_json_object_mode(client):
    for seed in (1, 2, 3):
        text, finish, _ = ask(client, seed=seed, response_format={"type": "json_object"}, max_tokens=300)
        if finish == "stop":
            assert isinstance(json.loads(text), dict)
        else:
            assert finish == "length" and text.lstrip().startswith("{")


class Item(BaseModel):
    sku: str = Field(max_length=8)
    quantity: int = Field(ge=1, le=20)


class Order(BaseModel):
    customer: str = Field(max_length=10)
    priority: Literal["low", "high"]
    items: List[Item] = Field(max_length=2)


def test_sdk_parse_returns_the_pydantic_object(client):
    r = client.chat.completions.parse(model="tiny-chat", messages=MESSAGES, response_format=Order, temperature=1, seed=4,
                                      max_tokens=400)
    order = r.choices[0].message.parsed
    assert isinstance(order, Order)
    assert r.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "add"}}])
def test_forced_tool_calls_have_valid_arguments(client, choice):
    for seed in (1, 2):
        r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                           tools=[WEATHER, ADD], tool_choice=choice, parallel_tool_calls=False,
                                           temperature=1, seed=seed, max_tokens=300)
        c = r.choices[0]
        assert c.finish_reason == "tool_calls", c
        assert len(c.message.tool_calls) == 1
        call = c.message.tool_calls[0]
        if isinstance(choice, dict):
            assert call.function.name == "add"
        schema = {"get_weather": WEATHER, "add": ADD}[call.function.name]["function"]["parameters"]
        jsonschema.validate(json.loads(call.function.arguments), schema)


def test_forced_tool_call_streams(client):
    calls = {}
    finish = None
    for chunk in client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Weather?"}],
                                                tools=[WEATHER], tool_choice="required", temperature=1, seed=3,
                                                max_tokens=300, stream=True):
        for c in chunk.choices:
            finish = c.finish_reason or finish
            for tc in c.delta.tool_calls or []:
                calls.setdefault(tc.index, "")
                calls[tc.index] += tc.function.arguments or ""
    assert finish == "tool_calls" and calls
    for args in calls.values():
        jsonschema.validate(json.loads(args), WEATHER["function"]["parameters"])


GRAMMAR_MATRIX = [
    ({"grammar": 'root ::= ("yes" | "no") " " [0-9]{1,3}'}, r"(yes|no) [0-9]{1,3}"),
    ({"grammar": 'root ::= item ("," item)*\nitem ::= [a-c]+'}, r"[a-c]+(,[a-c]+)*"),
    ({"structured_outputs": {"regex": "[a-z]{3}-[0-9]{2}"}}, r"[a-z]{3}-[0-9]{2}"),
    ({"guided_regex": "(ab|cd){2}x?"}, r"(ab|cd){2}x?"),
    ({"structured_outputs": {"choice": ["red", "green", "blue"]}}, r"red|green|blue"),
    ({"guided_choice": ["ja", "nein"]}, r"ja|nein"),
    ({"structured_outputs": {"grammar": 'root ::= "<" [0-9] ">"'}}, r"<[0-9]>"),
    ({"guided_grammar": 'root ::= "A"+'}, r"A+"),
]


@pytest.mark.parametrize("fields,pattern", GRAMMAR_MATRIX)
def test_grammar_regex_and_choice_forms(client, fields, pattern):
    for seed in (1, 2):
        text, finish, _ = ask(client, seed=seed, max_tokens=60, extra_body=fields)
        assert re.fullmatch(pattern, text), text
        assert finish in ("stop", "length")
        if not fields.get("guided_grammar") and "(," not in pattern:
            assert finish == "stop"


@pytest.mark.parametrize("fields", [
    {"json_schema": {"type": "object", "properties": {"k": {"enum": [1, 2]}}, "required": ["k"], "additionalProperties": False}},
    {"guided_json": {"type": "array", "items": {"type": "boolean"}, "maxItems": 2}},
    {"structured_outputs": {"json": json.dumps({"type": "integer", "minimum": 3, "maximum": 7})}},
    {"response_format": {"type": "json_object", "schema": {"type": "object", "properties": {"a": {"type": "null"}},
                                                           "required": ["a"], "additionalProperties": False}}},
])
def test_llama_server_and_vllm_json_fields(client, fields):
    text, finish, _ = ask(client, seed=5, extra_body=fields)
    assert finish == "stop", text
    schema = (fields.get("json_schema") or fields.get("guided_json") or fields.get("response_format", {}).get("schema")
              or json.loads(fields["structured_outputs"]["json"]))
    jsonschema.validate(json.loads(text), schema)


def test_completions_endpoint_is_constrained_too(client):
    for body in ({"json_schema": {"type": "array", "items": {"enum": ["x", "y"]}, "maxItems": 3}},
                 {"grammar": 'root ::= [0-9]{4}'}):
        r = client.completions.create(model="tiny-chat", prompt="Answer:", max_tokens=50, temperature=1, seed=2, extra_body=body)
        text = r.choices[0].text
        if "grammar" in body:
            assert re.fullmatch(r"[0-9]{4}", text)
        else:
            jsonschema.validate(json.loads(text), body["json_schema"])
        assert r.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("fields,param,words", [
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "not": {"format": "email"}}}}},
     "response_format.json_schema.schema", ["'not'", "/not"]),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "integer", "minimum": 5, "maximum": 2}}}},
     "response_format.json_schema.schema", ["minimum"]),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "#/$defs/missing"}}}},
     "response_format.json_schema.schema", ["$ref"]),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}, "response_format.json_schema.schema", ["required"]),
    ({"response_format": {"type": "yaml"}}, "response_format.type", ["yaml"]),
    ({"grammar": "root ::= missing"}, "grammar", ["line 1", "missing"]),
    ({"grammar": 'root ::= "a'}, "grammar", ["line 1"]),
    ({"structured_outputs": {"regex": "(a"}}, "structured_outputs.regex", ["regex"]),
    ({"guided_choice": []}, "guided_choice", ["non-empty"]),
    ({"grammar": 'root ::= "a"', "guided_regex": "a"}, "guided_regex", ["only one"]),
    ({"json_schema": "not json"}, "json_schema", ["JSON Schema"]),
])
def test_bad_schemas_and_grammars_are_400s_naming_the_problem(server, fields, param, words):
    status, body = server.raw("POST", "/v1/chat/completions", {"messages": MESSAGES, "max_tokens": 5, **fields})
    assert status == 400, body
    err = json.loads(body)["error"]
    assert err["param"] == param, err
    for w in words:
        assert w in err["message"], err


def test_strict_tool_with_an_unenforceable_schema_is_a_400(server):
    tool = {"type": "function", "function": {"name": "f", "strict": True,
                                             "parameters": {"type": "object", "properties": {"x": {"type": "string", "not": {"format": "email"}}}}}}
    status, body = server.raw("POST", "/v1/chat/completions", {"messages": MESSAGES, "tools": [tool], "max_tokens": 5})
    assert status == 400
    assert json.loads(body)["error"]["param"] == "tools[0].function.parameters"


@pytest.fixture(scope="module")
def thinking():
    """The scripted fixture with an LFM2.5 template (one that knows think blocks)."""
    import tempfile
    d = tempfile.mkdtemp()
    model = os.path.join(d, "scripted-think")
    shutil.copytree(os.path.join(ROOT, "Tests", "Fixtures", "models", "scripted-chat"), model)
    shutil.copy(os.path.join(ROOT, "Tests", "Fixtures", "templates", "LFM2.5-Instruct.jinja"), os.path.join(model, "chat_template.jinja"))
    s = Server(model=model)
    from openai import OpenAI
    yield OpenAI(base_url=s.base + "/v1", api_key="unused", max_retries=0, timeout=60)
    s.stop()
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_stays_free_and_the_answer_is_constrained(thinking, stream):
    schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 100}},
              "required": ["answer"], "additionalProperties": False}
    args = dict(model="x", messages=[{"role": "user", "content": "Please think first: what is six times seven?"}], temperature=0,
                max_tokens=80, response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}})
    if stream:
        reasoning, content, finish = "", "", None
        for chunk in thinking.chat.completions.create(stream=True, **args):
            for c in chunk.choices:
                reasoning += getattr(c.delta, "reasoning_content", None) or ""
                content += c.delta.content or ""
                finish = c.finish_reason or finish
    else:
        m = thinking.chat.completions.create(**args).choices[0]
        reasoning, content, finish = m.message.reasoning_content, m.message.content, m.finish_reason
    # The scripted think block comes through verbatim; the answer after it follows the schema.
    assert reasoning == "The user wants a short answer."
    assert finish == "stop"
    jsonschema.validate(json.loads(content), schema)
