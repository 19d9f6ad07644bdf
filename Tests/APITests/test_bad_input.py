"""Bad input gets a 4xx JSON error in the OpenAI shape, and the server keeps serving."""
import json

import pytest

CHAT = "/v1/chat/completions"
OK = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}

BAD = [
    ("invalid json", b"{not json"),
    ("not an object", [1, 2]),
    ("empty messages", {"messages": []}),
    ("messages not a list", {"messages": "hi"}),
    ("unknown role", {"messages": [{"role": "wizard", "content": "x"}]}),
    ("missing role", {"messages": [{"content": "x"}]}),
    ("content wrong type", {"messages": [{"role": "user", "content": 5}]}),
    ("image part", {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
    ("n=0", {**OK, "n": 0}),
    ("n string", {**OK, "n": "2"}),
    ("temperature < 0", {**OK, "temperature": -0.5}),
    ("temperature string", {**OK, "temperature": "hot"}),
    ("top_p 0", {**OK, "top_p": 0}),
    ("top_p > 1", {**OK, "top_p": 1.5}),
    ("max_tokens 0", {**OK, "max_tokens": 0}),
    ("max_tokens float", {**OK, "max_tokens": 2.5}),
    ("huge max_tokens", {**OK, "max_tokens": 10 ** 9}),
    ("stop wrong type", {**OK, "stop": 5}),
    ("stop list of ints", {**OK, "stop": [1, 2]}),
    ("seed string", {**OK, "seed": "x"}),
    ("stream string", {**OK, "stream": "yes"}),
    ("presence_penalty range", {**OK, "presence_penalty": 3}),
    ("frequency_penalty type", {**OK, "frequency_penalty": []}),
    ("logit_bias bad key", {**OK, "logit_bias": {"abc": 1}}),
    ("logit_bias bad value", {**OK, "logit_bias": {"5": 500}}),
    ("logprobs type", {**OK, "logprobs": "yes"}),
    ("top_logprobs without logprobs", {**OK, "top_logprobs": 2}),
    ("tools not a list", {**OK, "tools": {}}),
    ("tool without function", {**OK, "tools": [{"type": "function"}]}),
    ("tool_choice bad", {**OK, "tool_choice": "sometimes"}),
    ("tool_choice required without tools", {**OK, "tool_choice": "required"}),
    ("response_format without its schema", {**OK, "response_format": {"type": "json_schema"}}),
    ("stream_options type", {**OK, "stream_options": 3}),
    ("top_k type", {**OK, "top_k": "many"}),
    ("min_p range", {**OK, "min_p": 2}),
    ("repetition_penalty 0", {**OK, "repetition_penalty": 0}),
    ("chat_template_kwargs type", {**OK, "chat_template_kwargs": []}),
    ("assistant tool_calls malformed", {"messages": [{"role": "assistant", "tool_calls": [{"type": "function"}]}]}),
]


@pytest.mark.parametrize("name,body", BAD, ids=[b[0] for b in BAD])
def test_bad_chat_input_is_400(server, name, body):
    status, raw = server.raw("POST", CHAT, body if isinstance(body, bytes) else json.dumps(body).encode())
    assert 400 <= status < 500, (name, status, raw)
    err = json.loads(raw)["error"]
    assert err["message"] and err["type"] == "invalid_request_error"
    # The server keeps serving.
    status, raw = server.raw("POST", CHAT, OK)
    assert status == 200, raw


def test_non_utf8_body_is_400(server):
    status, raw = server.raw("POST", CHAT, b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}')
    assert status == 400 and json.loads(raw)["error"]["type"] == "invalid_request_error"


def test_ten_megabyte_body_is_413(server):
    body = json.dumps({"messages": [{"role": "user", "content": "x" * (10 * 1024 * 1024)}]}).encode()
    try:
        status, raw = server.raw("POST", CHAT, body)
    except (ConnectionResetError, BrokenPipeError):
        status, raw = 413, b'{"error":{"message":"reset","type":"invalid_request_error"}}'
    assert status == 413
    assert server.raw("POST", CHAT, OK)[0] == 200


def test_unknown_route_is_404_json(server):
    status, raw = server.raw("GET", "/v1/nothing")
    assert status == 404 and "error" in json.loads(raw)


def test_wrong_method_is_405(server):
    status, _ = server.raw("GET", CHAT)
    assert status == 405


def test_tokenize_detokenize(server):
    status, raw = server.raw("POST", "/tokenize", {"content": "Hello world"})
    assert status == 200 and json.loads(raw)["tokens"] == [1, 36309, 2031]
    status, raw = server.raw("POST", "/detokenize", {"tokens": [36309, 2031]})
    assert status == 200 and json.loads(raw)["content"] == "Hello world"
    status, raw = server.raw("POST", "/tokenize", {"messages": [{"role": "user", "content": "Hi"}]})
    assert json.loads(raw)["tokens"] == [1, 6, 6423, 708, 42120, 7, 708, 6, 64015, 708]


def test_health_and_version(server):
    assert server.raw("GET", "/health") == (200, b'{"status":"ok"}')
    status, raw = server.raw("GET", "/version")
    assert status == 200 and "version" in json.loads(raw)


def test_prompt_over_context_names_the_numbers(server):
    status, raw = server.raw("POST", CHAT, {"messages": [{"role": "user", "content": "word " * 5000}]})
    assert status == 400
    msg = json.loads(raw)["error"]["message"]
    assert "4096" in msg


def test_assistant_tool_calls_render_in_lfm2_format(server):
    """OpenAI-style past tool calls (arguments as a JSON string, content null) reach the LFM2
    template as the model's own `<|tool_call_start|>[…]<|tool_call_end|>` text."""
    msgs = [{"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\": 21}"}]
    status, raw = server.raw("POST", "/tokenize", {"messages": msgs})
    assert status == 200
    status2, raw2 = server.raw("POST", "/detokenize", {"tokens": json.loads(raw)["tokens"]})
    text = json.loads(raw2)["content"]
    assert '<|im_start|>assistant\n<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|><|im_end|>' in text
    assert "<|tool_response_start|>{\"temp\": 21}<|tool_response_end|>" in text
    status, raw = server.raw("POST", "/v1/chat/completions", {"messages": msgs, "max_tokens": 2})
    assert status == 200
