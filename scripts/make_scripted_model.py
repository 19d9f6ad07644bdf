#!/usr/bin/env python3
"""Make the "scripted" fixture: a tiny LFM2 checkpoint whose weights are set by hand (not
trained) so that greedy decoding after a chat prompt emits chosen token chains: a tool call,
a think block, a JSON answer, a phrase repeated forever, ... The chain is picked by a trigger
word in the prompt. Tests use it to drive the tool-call, reasoning and loop-guard paths with
real model output.

Run by hand (CI needs none of it):
    pip install torch transformers safetensors numpy
    python3 scripts/make_scripted_model.py

Writes Tests/Fixtures/models/scripted-chat/ (BF16 safetensors, the real LFM2 tokenizer files and
chat template from Tests/Fixtures/lfm2-tokenizer) and Tests/Fixtures/models/goldens/scripted-chat.json
(per case: messages, tools, rendered prompt, prompt ids, transformers' greedy ids and text).

How the weights work (2 layers: conv, then attention; every other weight is zero):
  residual dims   bias (1 in every token) | cur code | cur junk | prev code | prev junk | mode
  * embedding: each token that occurs in a chain gets a 3-hot code over the n "cur code" dims
    (distinct 3-subsets); trigger tokens get √3 on their mode's dim; every other token √3 on
    "cur junk". So every position has the same norm and RMSNorm keeps features exactly 1.
  * layer 0 (short conv, L_cache 3): B = C = bias, tap t-1 only: copies the previous token's
    code into the "prev" dims (junk and triggers into "prev junk").
  * layer 1 (attention, 1 head, head_dim 16): query = bias on the lowest-frequency RoPE pair
    (rotation < 0.01 rad over the prompt lengths used), key = (cos φ_m, sin φ_m) for trigger
    tokens of mode m and 0 elsewhere, so every position attends to the highest-priority trigger
    in the context (the BOS token is the lowest one, the default). Its value writes the
    mode's one-hot dim.
  * layer 1 FFN: one SwiGLU unit per rule (mode, [prev], cur) → next: gate = G·(matching
    features − (k − ½)) with the threshold on the bias dim, up = bias, down writes A on the
    next token's code. Context is the current token alone when that is unambiguous within the
    mode's chain, else (previous, current).
  * tied lm_head: logits are the final residual against each token's code; the final norm is 0
    on the bias/junk dims, so tokens outside every chain score exactly 0.
"""
import itertools
import json
import math
import os
import shutil

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests/Fixtures")
OUT = os.path.join(FIX, "models", "scripted-chat")
GOLDEN = os.path.join(FIX, "models", "goldens", "scripted-chat.json")
TOKDIR = os.path.join(FIX, "lfm2-tokenizer")

# Modes in priority order (highest first): name, trigger tokens (texts that are ONE token each),
# chain text emitted after "<|im_start|>assistant\n", and for `loop` the repeated cycle.
MODES = [
    ("tool_result", ["<|tool_response_start|>"], "It is sunny in Paris, 22 degrees.<|im_end|>", None),
    ("loop", [" forever", " Forever"], "Again", " and again"),
    ("think", [" think", " Think"],
     "<think>\nThe user wants a short answer.\n</think>\n\nThe answer is 42.<|im_end|>", None),
    ("json", [" JSON", " json"], '{"name": "Ada", "age": 36}<|im_end|>', None),
    ("tool", [" weather", " Weather"],
     '<|tool_call_start|>[get_weather(city="Paris", unit="celsius")]<|tool_call_end|><|im_end|>', None),
    ("plain", ["<|startoftext|>"], "Hello! How can I help?<|im_end|>", None),
]
PREFIX = "<|im_start|>assistant\n"   # the last tokens of every generation prompt

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"]}}}
TOOL_CALL_TEXT = '<|tool_call_start|>[get_weather(city="Paris", unit="celsius")]<|tool_call_end|>'

# The committed golden cases: (name, mode, messages, tools, max_new_tokens).
CASES = [
    ("tool", "tool", [{"role": "user", "content": "What is the weather in Paris?"}], [WEATHER_TOOL], 40),
    ("tool-no-tools", "tool", [{"role": "user", "content": "What is the weather in Paris?"}], None, 40),
    ("tool-result", "tool_result", [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": TOOL_CALL_TEXT},
        {"role": "tool", "content": '{"temperature": 22, "sky": "sunny"}'}], [WEATHER_TOOL], 40),
    ("think", "think", [{"role": "user", "content": "Please think first: what is six times seven?"}], None, 40),
    ("json", "json", [{"role": "system", "content": "Reply in JSON."},
                      {"role": "user", "content": "Who wrote the first program?"}], None, 40),
    ("loop", "loop", [{"role": "user", "content": "Say it forever."}], None, 24),
    ("plain", "plain", [{"role": "user", "content": "Hi there!"}], None, 40),
]

HEAD_DIM = 16
ROPE_THETA = 1_000_000.0
G = 16.0        # gate gain: a full match gives silu(+G/2), one feature short silu(−G/2) ≈ −0.0027
A = 10.0        # what a firing rule writes on each dim of the next token's code
SCORE = 80.0    # attention score of the top-priority trigger; lower priorities step down by 12
CODE_K = 3      # code weight (ones per chain token)


def tokenize(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def build_rules(tok):
    """Per mode: the token sequence it generates (after PREFIX) and rules (mode, prev|None, cur) → next."""
    prefix = tokenize(tok, PREFIX)
    assert len(prefix) == 3, prefix
    triggers, chains, rules = {}, {}, []
    for m, (name, trig, chain, cycle) in enumerate(MODES):
        ids = []
        for t in trig:
            tid = tokenize(tok, t)
            assert len(tid) == 1, (t, tid)
            ids.append(tid[0])
        triggers[name] = ids
        seq = tokenize(tok, chain)
        if cycle:
            cyc = tokenize(tok, cycle)
            seq = seq + cyc * 4
        chains[name] = seq
        ctx = prefix[1:] + seq             # "assistant", "\n", chain...
        steps = [(ctx[i - 1], ctx[i], ctx[i + 1]) for i in range(1, len(ctx) - 1)]
        by_cur = {}
        for p, c, n in steps:
            by_cur.setdefault(c, set()).add((p, n))
        for c, pn in sorted(by_cur.items()):
            nexts = {n for _, n in pn}
            if len(nexts) == 1:
                rules.append((m, None, c, nexts.pop()))
            else:
                by_prev = {}
                for p, n in pn:
                    by_prev.setdefault(p, set()).add(n)
                for p, ns in sorted(by_prev.items()):
                    assert len(ns) == 1, f"mode {name}: ({p}, {c}) is followed by {ns}; change the chain text"
                    rules.append((m, p, c, ns.pop()))
    chain_tokens = sorted({t for s in chains.values() for t in s} | set(prefix[1:]))
    all_triggers = {t for ids in triggers.values() for t in ids}
    assert not (all_triggers & set(chain_tokens)), "a trigger token occurs in a chain"
    return prefix, triggers, chains, rules, chain_tokens


def build_weights(rules, triggers, chain_tokens, vocab):
    n = CODE_K
    while math.comb(n, CODE_K) < len(chain_tokens):
        n += 1
    codes = dict(zip(chain_tokens, itertools.combinations(range(n), CODE_K)))
    n_modes = len(MODES)
    BIAS, CUR, JUNK = 0, 1, 1 + n
    PREV, PJUNK = 2 + n, 2 + 2 * n
    MODE = 3 + 2 * n
    H = MODE + n_modes
    H = (H + 15) // 16 * 16
    n_rules = len(rules)
    I = (n_rules + 15) // 16 * 16
    r3 = math.sqrt(CODE_K)
    f32 = np.float32

    t = {}
    E = np.zeros((vocab, H), f32)
    E[:, BIAS] = 1
    E[:, JUNK] = r3
    for tok_id, code in codes.items():
        E[tok_id, JUNK] = 0
        E[tok_id, [CUR + d for d in code]] = 1
    for m, (name, *_rest) in enumerate(MODES):
        for tid in triggers[name]:
            E[tid, JUNK] = 0
            E[tid, MODE + m] = r3
    t["model.embed_tokens.weight"] = E

    norm0 = 1 + CODE_K               # bias + code: squared norm of every embedding row
    norm1 = norm0 + CODE_K           # + the previous token's code
    norm2 = norm1 + 1                # + the mode
    # Layer 0: short conv copying the previous token into the prev dims.
    p = "model.layers.0."
    t[p + "operator_norm.weight"] = np.full(H, math.sqrt(norm0 / H), f32)
    t[p + "ffn_norm.weight"] = np.ones(H, f32)
    inp = np.zeros((3 * H, H), f32)
    conv = np.zeros((H, 1, 3), f32)
    outp = np.zeros((H, H), f32)
    for d in range(n):
        ch = PREV + d
        inp[ch, BIAS] = 1                       # B
        inp[H + ch, BIAS] = 1                   # C
        inp[2 * H + ch, CUR + d] = 1            # x
        conv[ch, 0, 1] = 1                      # tap t-1
        outp[ch, ch] = 1
    inp[PJUNK, BIAS] = 1
    inp[H + PJUNK, BIAS] = 1
    inp[2 * H + PJUNK, JUNK] = 1
    inp[2 * H + PJUNK, MODE:MODE + n_modes] = 1  # triggers' √3 goes to prev junk too
    conv[PJUNK, 0, 1] = 1
    outp[PJUNK, PJUNK] = 1
    t[p + "conv.in_proj.weight"] = inp
    t[p + "conv.conv.weight"] = conv
    t[p + "conv.out_proj.weight"] = outp
    for w, shape in [("w1", (I, H)), ("w3", (I, H)), ("w2", (H, I))]:
        t[p + f"feed_forward.{w}.weight"] = np.zeros(shape, f32)

    # Layer 1: attention to the highest-priority trigger (mode), then the rule FFN.
    p = "model.layers.1."
    t[p + "operator_norm.weight"] = np.full(H, math.sqrt(norm1 / H), f32)
    hd = HEAD_DIM
    lo, lo2 = hd // 2 - 1, hd // 2 - 2          # the two lowest-frequency RoPE pairs (first halves)
    q = np.zeros((hd, H), f32)
    q[lo, BIAS] = 1
    k = np.zeros((hd, H), f32)
    v = np.zeros((hd, H), f32)
    o = np.zeros((H, hd), f32)
    assert n_modes <= hd
    for m in range(n_modes):
        cos = (SCORE - 12.0 * m) / SCORE
        k[lo, MODE + m] = cos
        k[lo2, MODE + m] = math.sqrt(1 - cos * cos)
        # Normalised trigger value is √3 (√3·√(norm1/norm0) for BOS at position 0, which has no previous token).
        v[m, MODE + m] = 1 / r3 if MODES[m][0] != "plain" else 1 / (r3 * math.sqrt(norm1 / norm0))
        o[MODE + m, m] = 1
    t[p + "self_attn.q_proj.weight"] = q
    t[p + "self_attn.k_proj.weight"] = k
    t[p + "self_attn.v_proj.weight"] = v
    t[p + "self_attn.out_proj.weight"] = o
    t[p + "self_attn.q_layernorm.weight"] = np.ones(hd, f32)
    t[p + "self_attn.k_layernorm.weight"] = np.full(hd, SCORE / math.sqrt(hd), f32)
    t[p + "ffn_norm.weight"] = np.full(H, math.sqrt(norm2 / H), f32)
    w1 = np.zeros((I, H), f32)
    w3 = np.zeros((I, H), f32)
    w2 = np.zeros((H, I), f32)
    silu = lambda x: x / (1 + math.exp(-x))
    for r, (m, prev, cur, nxt) in enumerate(rules):
        feats = 1 + CODE_K
        w1[r, MODE + m] = G
        w1[r, [CUR + d for d in codes[cur]]] = G
        if prev is not None:
            w1[r, [PREV + d for d in codes[prev]]] = G
            feats += CODE_K
        w1[r, BIAS] = -G * (feats - 0.5)
        w3[r, BIAS] = 1
        w2[[CUR + d for d in codes[nxt]], r] = A / silu(G / 2)
    t[p + "feed_forward.w1.weight"] = w1
    t[p + "feed_forward.w3.weight"] = w3
    t[p + "feed_forward.w2.weight"] = w2
    fin = np.zeros(H, f32)
    fin[CUR:CUR + n] = 4.0
    t["model.embedding_norm.weight"] = fin
    facts = {"hidden": H, "ffn": I, "code_dims": n, "rules": n_rules, "chain_tokens": len(chain_tokens)}
    return t, facts


def main():
    import torch
    from transformers import AutoTokenizer, Lfm2Config, Lfm2ForCausalLM
    tok = AutoTokenizer.from_pretrained(TOKDIR)
    vocab = 65536
    prefix, triggers, chains, rules, chain_tokens = build_rules(tok)
    tensors, facts = build_weights(rules, triggers, chain_tokens, vocab)
    config = Lfm2Config(vocab_size=vocab, hidden_size=facts["hidden"], num_hidden_layers=2, num_attention_heads=1,
                        num_key_value_heads=1, head_dim=HEAD_DIM, intermediate_size=facts["ffn"],
                        block_auto_adjust_ff_dim=False, layer_types=["conv", "full_attention"], conv_bias=False,
                        conv_L_cache=3, norm_eps=1e-5, rope_parameters={"rope_theta": ROPE_THETA, "rope_type": "default"},
                        max_position_embeddings=4096, tie_word_embeddings=True, bos_token_id=1, eos_token_id=7,
                        pad_token_id=0)
    model = Lfm2ForCausalLM(config).float().eval()
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}
    sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all(k == "lm_head.weight" for k in missing), (missing, unexpected)
    shutil.rmtree(OUT, ignore_errors=True)
    model.to(torch.bfloat16).save_pretrained(OUT)
    for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(os.path.join(TOKDIR, f), OUT)
    # Reference: the weights as stored (BF16), float32 math.
    model = Lfm2ForCausalLM.from_pretrained(OUT, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(OUT)

    mode_names = [m[0] for m in MODES]
    records = []
    min_margin = float("inf")
    with torch.no_grad():
        for name, mode, messages, tools, max_new in CASES:
            text = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
            ids = tokenize(tok, text)
            assert ids[-3:] == prefix and ids[0] == 1, (name, ids[-3:])
            out = model.generate(torch.tensor([ids]), max_new_tokens=max_new, do_sample=False, pad_token_id=0,
                                 output_scores=True, return_dict_in_generate=True)
            gen = out.sequences[0, len(ids):].tolist()
            for s in out.scores:
                top = torch.topk(s[0].float(), 2).values
                min_margin = min(min_margin, float(top[0] - top[1]))
            want = chains[mode]
            if mode == "loop":
                head = tokenize(tok, MODES[mode_names.index("loop")][2])
                want = head + tokenize(tok, MODES[mode_names.index("loop")][3]) * max_new
                assert 7 not in gen
            assert gen == want[:len(gen)] and len(gen) == min(len(want), max_new), \
                f"{name}: got {tok.decode(gen)!r}, want {tok.decode(want)!r}"
            # Full-sequence forward pass agrees with the cached generate().
            full = model(torch.tensor([ids + gen[:-1]]), use_cache=False).logits[0, len(ids) - 1:].argmax(-1).tolist()
            assert full == gen, name
            finish = "stop" if gen[-1] == 7 else "length"
            records.append({"name": name, "mode": mode, "messages": messages, "tools": tools, "rendered": text,
                            "prompt_ids": ids, "max_new_tokens": max_new, "greedy_ids": gen,
                            "greedy_text": tok.decode(gen, skip_special_tokens=False),
                            "content_text": tok.decode([g for g in gen if g != 7]), "finish": finish})
            print(f"{name:14s} {len(ids):4d} prompt tokens → {tok.decode(gen)!r}")
    assert min_margin > 3.0, min_margin
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    with open(GOLDEN, "w") as f:
        json.dump({"model": "scripted-chat", "modes": mode_names,
                   "triggers": {k: [tok.decode([i]) for i in v] for k, v in triggers.items()},
                   "min_greedy_margin": min_margin, "facts": facts, "cases": records}, f, indent=1, ensure_ascii=False)
    size = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".safetensors"))
    print("facts", facts, "min greedy margin", round(min_margin, 2), "weights", size, "bytes")


if __name__ == "__main__":
    main()
