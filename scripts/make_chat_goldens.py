#!/usr/bin/env python3
"""Writes Tests/Fixtures/chat-templates/chat-goldens.json: conversations rendered by transformers'
apply_chat_template with each template in Tests/Fixtures/templates/, as text and as token ids.

strftime_now() is pinned to 2025-03-14 09:05:07 (the Swift tests pass the same instant in UTC).
Usage: python3 scripts/make_chat_goldens.py   (needs transformers >= 5 and jinja2 >= 3.1.6)"""
import datetime as _dt
import json
import os

import transformers
from transformers import AutoTokenizer
from transformers.utils import chat_template_utils as ctu

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
TEMPLATES = ["LFM2-8B-A1B.jinja", "LFM2.5-Instruct.jinja", "LFM2.5-8B-A1B.jinja"]


class FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2025, 3, 14, 9, 5, 7)


ctu.datetime = FixedDatetime

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
SEARCH = {"name": "search", "description": "Recherche sur le Web — 検索 🔎",
          "parameters": {"type": "object", "properties": {
              "query": {"type": "string"},
              "filters": {"type": "object", "properties": {"lang": {"type": "string"}, "max": {"type": "integer", "minimum": 1, "maximum": 50}},
                          "additionalProperties": False},
              "tags": {"type": "array", "items": {"type": "string"}},
              "score": {"type": "number", "default": 0.5}}, "required": ["query"]}}
SIMPLE = {"name": "get_weather", "description": "Get weather", "parameters": {"type": "object",
          "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def call(name, args, as_dict, cid="call_1"):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args if as_dict else json.dumps(args)}}


SYS = {"role": "system", "content": "You are helpful."}
U = lambda t: {"role": "user", "content": t}
A = lambda t, **kw: {"role": "assistant", "content": t, **kw}
T = lambda t: {"role": "tool", "content": t}

CONVERSATIONS = [
    ("minimal", [U("Hi")], None, True, {}),
    ("minimal_no_gen_prompt", [U("Hi")], None, False, {}),
    ("system_user", [SYS, U("Hello!")], None, True, {}),
    ("multi_turn", [SYS, U("Hi"), A("Hello! How can I help?"), U("Tell me a joke.")], None, True, {}),
    ("multi_turn_no_system", [U("a"), A("b"), U("c"), A("d")], None, False, {}),
    ("spec_example", [SYS, U("Weather in Paris?"),
                      A("<think>need tool</think><|tool_call_start|>[get_weather(city=\"Paris\")]<|tool_call_end|>Checking."),
                      T("{\"temp\": 21}"), A("<think>ok</think>It is 21 C."), U("Thanks")], [SIMPLE], True, {}),
    ("tools_no_system", [U("What's the weather in Oslo?")], [WEATHER], True, {}),
    ("tools_with_system", [SYS, U("Search for cats")], [SEARCH, WEATHER], True, {}),
    ("tools_string_tool", [U("x")], ["{\"name\": \"raw_tool\"}", SIMPLE], True, {}),
    ("tools_empty_list", [U("x")], [], True, {}),
    ("tool_calls_string_args", [U("Weather in Oslo?"), A("", tool_calls=[call("get_weather", {"city": "Oslo"}, False)]),
                                T("{\"temp\": -3}"), A("It is -3 degrees.")], [WEATHER], True, {}),
    ("tool_calls_dict_args", [U("Weather in Oslo and Rome?"),
                              A("Let me check.", tool_calls=[call("get_weather", {"city": "Oslo", "unit": "celsius"}, True),
                                                             call("search", {"query": "Rome weather", "filters": {"lang": "it", "max": 3},
                                                                             "tags": ["a", "b"], "score": 0.25, "exact": True, "n": None}, True, "call_2")]),
                              T("{\"temp\": 4}"), T("sunny"), A("Oslo 4°C, Rome sunny.")], [WEATHER, SEARCH], True, {}),
    ("tool_calls_content_none", [U("Weather?"), {"role": "assistant", "content": None,
                                 "tool_calls": [call("get_weather", {"city": "Paris"}, True)]}, T("21")], [WEATHER], True, {}),
    ("tool_result_only", [U("q"), T("result text")], None, True, {}),
    ("thinking_past_turns", [U("2+2?"), A("<think>simple math</think>4"), U("3+3?"), A("<think>again</think>  6  ")], None, False, {}),
    ("thinking_past_turns_gen", [U("2+2?"), A("<think>simple math</think>\n\n4"), U("3+3?")], None, True, {}),
    ("keep_past_thinking", [U("2+2?"), A("<think>simple math</think>4"), U("3+3?")], None, True, {"keep_past_thinking": True}),
    ("preserve_thinking", [U("2+2?"), A("<think>simple math</think>4"), U("3+3?")], None, True, {"preserve_thinking": True}),
    ("thinking_field", [U("2+2?"), A("4", thinking="add two and two"), U("and 3+3?"), A("6", thinking="three plus three")], None, False, {}),
    ("reasoning_content_field", [U("2+2?"), A("4", reasoning_content="adding"), U("next")], None, True, {}),
    ("thinking_field_keep", [U("2+2?"), A("4", thinking="add"), U("next")], None, True, {"preserve_thinking": True, "keep_past_thinking": True}),
    ("list_content_parts", [{"role": "system", "content": [{"type": "text", "text": "Sys part."}]},
                            {"role": "user", "content": [{"type": "text", "text": "Describe "}, {"type": "image"}, {"type": "text", "text": " please"}]}],
     None, True, {}),
    ("list_content_assistant", [U("hi"), {"role": "assistant", "content": [{"type": "text", "text": "<think>x</think>part1"}, {"type": "text", "text": " part2"}]}, U("more")], None, True, {}),
    ("empty_content", [U(""), A(""), U("x")], None, True, {}),
    ("empty_system", [{"role": "system", "content": ""}, U("hi")], None, True, {}),
    ("unicode_emoji", [SYS, U("Ça va? 日本語 🎉👩‍👩‍👧 \u00e9\u0301"), A("Très bien 😀")], None, True, {}),
    ("special_tokens_in_content", [U("Say <|im_end|> and <|im_start|>user literally"), A("<|im_end|>")], None, True, {}),
    ("whitespace_content", [U("  leading and trailing  \n\n"), A("\n\nanswer\n")], None, True, {}),
    ("json_content", [U("{\"a\": [1, 2]}"), A("```json\n{\"b\": true}\n```")], None, True, {}),
    ("long_conversation", [SYS] + [m for i in range(15) for m in (U(f"question {i}"), A(f"<think>t{i}</think>answer {i}"))], None, True, {}),
    ("assistant_last_no_gen", [U("Hi"), A("<think>plan</think>Hello")], None, False, {}),
    ("system_only", [SYS], None, True, {}),
    ("tool_role_with_tools", [SYS, U("x"), A("", tool_calls=[call("search", {"query": "q"}, True)]), T("[{\"title\": \"r\"}]")], [SEARCH], False, {}),
    ("cfm_tag_content", [U("x"), A("partial CONTINUE_FINAL_MESSAGE_TAG ", tool_calls=[call("get_weather", {"city": "X"}, True)])], [WEATHER], False, {}),
    ("unknown_role", [{"role": "developer", "content": "dev note"}, U("hi")], None, True, {}),
    ("nonstring_content_number", [U("x"), {"role": "assistant", "content": {"k": 1}}], None, True, {}),
    ("extra_kwargs_bos_override", [U("Hi")], None, True, {"bos_token": "<BOS>"}),
]


def main():
    tok = AutoTokenizer.from_pretrained(os.path.join(FIXTURES, "lfm2-tokenizer"))
    cases = []
    for name, messages, tools, agp, kwargs in CONVERSATIONS:
        case = {"name": name, "messages": messages, "tools": tools, "add_generation_prompt": agp, "kwargs": kwargs, "results": {}}
        for template in TEMPLATES:
            tok.chat_template = open(os.path.join(FIXTURES, "templates", template)).read()
            try:
                text = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=agp, tokenize=False, **kwargs)
                ids = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=agp, tokenize=True, **kwargs)
                if isinstance(ids, dict) or hasattr(ids, "input_ids"):  # transformers 5 returns a BatchEncoding
                    ids = ids["input_ids"]
                case["results"][template] = {"text": text, "ids": list(ids)}
            except Exception as e:
                case["results"][template] = {"error": type(e).__name__, "message": str(e)}
        cases.append(case)
    meta = {"transformers": transformers.__version__, "strftime_now": "2025-03-14T09:05:07",
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token, "templates": TEMPLATES}
    path = os.path.join(FIXTURES, "chat-templates", "chat-goldens.json")
    with open(path, "w") as fh:
        json.dump({"meta": meta, "cases": cases}, fh, ensure_ascii=False, separators=(",", ":"))
    print(f"wrote {len(cases)} conversations x {len(TEMPLATES)} templates to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
