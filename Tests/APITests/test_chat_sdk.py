"""Chat and completions through the official openai SDK against a real lfm-serve process."""
import json
import subprocess

import openai
import pytest

from conftest import BIN, MODEL, Server


def test_greedy_matches_transformers_and_cli(client, golden):
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hello!"}],
                                       max_tokens=32, temperature=0, logprobs=True, extra_body={"ignore_eos": True})
    want_text = golden["greedy_text"][0]
    assert r.choices[0].message.content == want_text
    assert r.choices[0].finish_reason == "length"
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert r.usage.prompt_tokens == len(golden["prompts"][0]) and r.usage.completion_tokens == 32
    assert r.usage.prompt_tokens_details.cached_tokens >= 0
    # Same as the command line.
    out = subprocess.run([BIN, "complete", "--model", MODEL, "--prompt", "Hello!", "--chat", "--temperature", "0",
                          "--max-tokens", "32", "--ignore-eos", "--json", "--threads", "2"], capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)
    assert cli["ids"] == golden["greedy"][0]
    assert cli["text"] == want_text


def test_streaming_chat(client, golden):
    stream = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hello!"}],
                                            max_tokens=32, temperature=0, stream=True, stream_options={"include_usage": True},
                                            extra_body={"ignore_eos": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == golden["greedy_text"][0]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 32


def test_n_choices(client):
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hi"}], n=2,
                                       max_tokens=8, temperature=1.0, seed=5, logprobs=True,
                                       extra_body={"ignore_eos": True})
    assert [c.index for c in r.choices] == [0, 1]
    assert all(c.message.role == "assistant" and c.finish_reason == "length" for c in r.choices)
    counts = [len(c.logprobs.content) for c in r.choices]
    assert counts == [8, 8] and r.usage.completion_tokens == sum(counts)
    # Each choice has its own generator (seed, seed + 1): the two samples differ.
    assert r.choices[0].message.content != r.choices[1].message.content


def test_stop_strings(client, golden):
    full = golden["greedy_text"][0]
    stop = full[10:13]
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hello!"}], max_tokens=32,
                                       temperature=0, stop=[stop], extra_body={"ignore_eos": True})
    text = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"
    assert stop not in text and full.startswith(text) and full[len(text):].startswith(stop)


def test_seed_reproducibility(client):
    def run(seed):
        return client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Tell me a story"}],
                                              max_tokens=24, temperature=1.0, seed=seed,
                                              extra_body={"ignore_eos": True}).choices[0].message.content
    assert run(11) == run(11)
    assert run(11) != run(12)


def test_logprobs(client):
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hi"}], max_tokens=5,
                                       temperature=0, logprobs=True, top_logprobs=3, extra_body={"ignore_eos": True})
    content = r.choices[0].logprobs.content
    assert len(content) == 5
    for t in content:
        assert t.logprob <= 0 and len(t.top_logprobs) == 3
        assert t.top_logprobs[0].logprob == pytest.approx(t.logprob)


def test_completions_endpoint(client):
    r = client.completions.create(model="tiny-chat", prompt="The capital of France is", max_tokens=5, temperature=0,
                                  echo=True, logprobs=2)
    assert r.choices[0].text.startswith("The capital of France is")
    # echo + logprobs: the prompt's tokens are listed (and scored) before the 5 generated ones.
    assert len(r.choices[0].logprobs.tokens) == r.usage.prompt_tokens + 5
    assert r.choices[0].logprobs.token_logprobs[0] is None
    r2 = client.completions.create(model="tiny-chat", prompt=["a b", "c d"], max_tokens=3, temperature=0)
    assert [c.index for c in r2.choices] == [0, 1]


def test_tools_with_forced_tool_choice(client):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=tools, tool_choice={"type": "function", "function": {"name": "get_weather"}},
                                       max_tokens=16, temperature=0)
    msg = r.choices[0].message
    # A random tiny model cannot be relied on to close the call; the API must still answer in shape.
    assert r.choices[0].finish_reason in ("tool_calls", "length", "stop")
    if msg.tool_calls:
        assert msg.tool_calls[0].function.name == "get_weather"
        json.loads(msg.tool_calls[0].function.arguments)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "x"}], tools=tools,
                                       tool_choice={"type": "function", "function": {"name": "nope"}})


def test_models(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["tiny-chat"]
    assert client.models.retrieve("tiny-chat").id == "tiny-chat"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_sdk_error_classes(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "x"}], temperature=-1)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny-chat", messages=[])


def test_authentication_error():
    from openai import OpenAI
    s = Server("--api-key", "sekret")
    try:
        bad = OpenAI(base_url=s.base + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
        good = OpenAI(base_url=s.base + "/v1", api_key="sekret", max_retries=0)
        assert good.models.list().data[0].id == "tiny-chat"
        assert s.raw("GET", "/health")[0] == 200   # no key needed
    finally:
        s.stop()


def test_rate_limit_error():
    from openai import OpenAI
    s = Server("--max-waiting", "0")
    try:
        c = OpenAI(base_url=s.base + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "x"}], max_tokens=2)
    finally:
        s.stop()


def test_prefix_cache_reports_cached_tokens(client):
    system = "You are a meticulous assistant. " * 60
    msgs = lambda q: [{"role": "system", "content": system}, {"role": "user", "content": q}]
    a = client.chat.completions.create(model="tiny-chat", messages=msgs("first question"), max_tokens=4, temperature=0)
    b = client.chat.completions.create(model="tiny-chat", messages=msgs("second question"), max_tokens=4, temperature=0)
    assert b.usage.prompt_tokens > 300
    assert b.usage.prompt_tokens_details.cached_tokens >= (b.usage.prompt_tokens - 20) // 16 * 16 - 16


def test_client_disconnect_cancels_generation():
    """With one sequence slot, a second request can only finish if the first (100k tokens,
    abandoned by its client) was cancelled when the client went away."""
    import http.client
    import time
    from openai import OpenAI
    s = Server("--max-num-seqs", "1")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "go"}],
                     "max_tokens": 3000, "stream": True, "ignore_eos": True}), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        resp.read1(4096)
        conn.sock.close()
        conn.close()
        c = OpenAI(base_url=s.base + "/v1", api_key="x", max_retries=0, timeout=20)
        t0 = time.time()
        r = c.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "x"}], max_tokens=2)
        assert r.choices[0].finish_reason in ("length", "stop")
        assert time.time() - t0 < 15
    finally:
        s.stop()


def test_sigterm_lets_a_running_stream_finish_and_exits_zero():
    import http.client
    import signal
    import threading
    s = Server()
    out = {}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        conn.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "go"}],
                     "max_tokens": 300, "stream": True, "ignore_eos": True}), {"Content-Type": "application/json"})
        out["body"] = conn.getresponse().read().decode()

    t = threading.Thread(target=client)
    t.start()
    import time
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    t.join(60)
    assert s.proc.wait(timeout=60) == 0
    body = out["body"]
    assert body.rstrip().endswith("data: [DONE]")
    assert '"finish_reason":"length"' in body
