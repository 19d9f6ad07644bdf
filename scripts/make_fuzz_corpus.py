#!/usr/bin/env python3
"""Writes the small seed corpora of lfm-fuzz to Tests/Fixtures/fuzz/<target>/ (docs/reliability.md).

GGUF and safetensors seeds are complete, valid files (a few hundred bytes) written byte by byte
after the GGUF spec (docs/lfm2.md §6.1) and the safetensors format, so mutations start from real
structure. Regression inputs found by fuzzing are added next to them as crash-*.bin /
timeout-*.bin / regress-*.bin and are never rewritten by this script.
Usage: python3 scripts/make_fuzz_corpus.py
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "fuzz")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- GGUF -------------------------------------------------------------------------------
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gval(t, v):
    if t == 4: return struct.pack("<I", v)
    if t == 5: return struct.pack("<i", v)
    if t == 6: return struct.pack("<f", v)
    if t == 7: return struct.pack("<B", v)
    if t == 8: return gstr(v)
    if t == 10: return struct.pack("<Q", v)
    if t == 12: return struct.pack("<d", v)
    if t == 0: return struct.pack("<B", v)
    if t == 9:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(gval(et, x) for x in items)
    raise ValueError(t)


def gguf(kvs, tensors, alignment=32):
    """kvs: [(key, type, value)]; tensors: [(name, ne, ggml_type, nbytes)] laid out in order."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += gstr(k) + struct.pack("<I", t) + gval(t, v)
    offset = 0
    layout = []
    for name, ne, t, nbytes in tensors:
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", t, offset)
        layout.append((offset, nbytes))
        offset += (nbytes + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    data = bytearray(offset)
    for i, (o, n) in enumerate(layout):
        data[o:o + n] = bytes((i * 7 + j) % 251 for j in range(n))
    return out + bytes(data)


def lfm2_kvs(layers=2):
    return [
        ("general.architecture", 8, "lfm2"),
        ("general.alignment", 4, 32),
        ("lfm2.block_count", 4, layers),
        ("lfm2.context_length", 4, 128),
        ("lfm2.embedding_length", 4, 32),
        ("lfm2.feed_forward_length", 4, 64),
        ("lfm2.attention.head_count", 4, 4),
        ("lfm2.attention.head_count_kv", 9, (5, [0, 2][:layers] + [0] * max(0, layers - 2))),
        ("lfm2.rope.freq_base", 6, 1000000.0),
        ("lfm2.attention.layer_norm_rms_epsilon", 6, 1e-5),
        ("lfm2.shortconv.l_cache", 4, 3),
        ("lfm2.vocab_size", 4, 16),
        ("tokenizer.ggml.model", 8, "gpt2"),
        ("tokenizer.ggml.tokens", 9, (8, ["<|pad|>", "<|startoftext|>", "a", "b", "ab"])),
        ("tokenizer.ggml.token_type", 9, (5, [3, 3, 1, 1, 1])),
        ("tokenizer.ggml.merges", 9, (8, ["a b"])),
        ("tokenizer.ggml.bos_token_id", 4, 1),
        ("tokenizer.chat_template", 8, "{% for m in messages %}{{ m['content'] }}{% endfor %}"),
    ]


write("gguf", "lfm2-f32-q8.gguf", gguf(lfm2_kvs(), [
    ("token_embd.weight", [32, 16], 0, 32 * 16 * 4),
    ("blk.0.attn_norm.weight", [32], 0, 128),
    ("blk.1.ffn_up.weight", [32, 2], 8, 2 * 34),
    ("blk.1.attn_k.weight", [32, 1], 1, 64),
]))
write("gguf", "minimal.gguf", gguf([("general.architecture", 8, "lfm2")], []))
write("gguf", "all-types.gguf", gguf([
    ("u8", 0, 255), ("i32", 5, -7), ("f32", 6, 0.5), ("bool", 7, 1), ("u64", 10, 2 ** 40), ("f64", 12, -1.25),
    ("nested", 9, (9, [(4, [1, 2]), (8, ["x"])])),
], [("t", [256], 12, 144), ("u", [256], 14, 210), ("v", [64], 30, 128), ("w", [32], 2, 18)], alignment=32))

# ---- safetensors ---------------------------------------------------------------------------
def safetensors(entries, metadata=None):
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, size in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        data += bytes(i % 256 for i in range(size))
        offset += size
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


write("safetensors", "two.safetensors", safetensors(
    [("model.embed_tokens.weight", "BF16", [4, 8], 64), ("model.norm.weight", "F32", [8], 32)], {"format": "pt"}))
write("safetensors", "f16.safetensors", safetensors([("a", "F16", [2, 3], 12), ("b", "F32", [], 4), ("c", "F32", [0, 4], 0)]))
write("safetensors", "empty.safetensors", safetensors([]))

# ---- JSON ---------------------------------------------------------------------------------
write("json", "chat.json", json.dumps({
    "model": "lfm", "messages": [{"role": "user", "content": "Hi \u00e9\u4e2d\U0001F600"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "temperature": 0.7, "max_tokens": 16, "stream": True, "stop": None, "logit_bias": {"5": -100}}))
write("json", "numbers.json", "[0,-0,1e308,-1e-308,9223372036854775807,-9223372036854775808,1.5e3,0.1,123456789012345678901234567890]")
write("json", "escapes.json", '{"a":"\\u0000\\ud83d\\ude00\\n\\t\\"\\\\\\/","b":[[],{},[{}]],"c":true,"d":false}')
write("json", "deep.json", "[" * 40 + "1" + "]" * 40)

# ---- Jinja --------------------------------------------------------------------------------
templates = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "templates")
with open(os.path.join(templates, "LFM2.5-Instruct.jinja")) as f:
    write("jinja", "lfm2.5-instruct.jinja", f.read())
write("jinja", "loops.jinja",
      "{% set ns = namespace(n=0) %}{% for m in messages if m.role != 'system' %}{{ loop.index }}:{{ m.role|upper }}"
      "{% if m.tool_calls %}{{ m.tool_calls|tojson(indent=2) }}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}"
      "{{ ns.n }}{{ tools|map(attribute='function')|map(attribute='name')|join(',') }}")
write("jinja", "macros.jinja",
      "{% macro show(v, d=0) %}{% if v is mapping %}{% for k, x in v|dictsort %}{{ k }}={{ show(x, d + 1) }};"
      "{% endfor %}{% elif v is iterable and v is not string %}[{% for x in v %}{{ show(x, d + 1) }}{% endfor %}]"
      "{% else %}{{ v }}{% endif %}{% endmacro %}{{ show(tools) }}{% call show(messages) %}{% endcall %}")
write("jinja", "expressions.jinja",
      "{{ (1 + 2 * 3) // 2 ~ 'x' * 3 }}{{ [1, 2, 3][1:] }}{{ {'a': 1}.get('a') }}{{ 'a,b'.split(',') }}"
      "{{ range(3)|list }}{{ '%s' % 5 }}{{ 'Hi {0}'.format('x') }}{{ none is none and not false }}"
      "{% raw %}{{ raw }}{% endraw %}{# comment #}{{- ' trimmed ' -}}{{ strftime_now('%Y-%m-%d') }}")

# ---- tool calls ---------------------------------------------------------------------------
write("pyliteral", "pythonic.txt",
      'Sure.<|tool_call_start|>[get_weather(city="Paris", days=3, units=\'metric\'), get_time()]<|tool_call_end|>Done.')
write("pyliteral", "literals.txt",
      "<|tool_call_start|>[f(a=[1, -2.5, 1e3, True, None], b={'k': (1, 2)}, c='\\n\\u00e9\\x41', d=\"q\\\"\")]<|tool_call_end|>")
write("pyliteral", "json.txt", '<|tool_call_start|>[{"name": "f", "arguments": {"x": [1, {"y": null}]}}]<|tool_call_end|>')
write("pyliteral", "unterminated.txt", "text <|tool_call_start|>[f(x=1), g(")
print("wrote", ROOT)
