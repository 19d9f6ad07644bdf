#!/usr/bin/env python3
"""Make the tiny LFM2 checkpoints and reference outputs that LFMServe's tests compare against.

Run by hand on a machine with the reference libraries (CI needs none of them):
    pip install torch transformers safetensors gguf numpy
    python3 scripts/make_fixtures.py

Writes Tests/Fixtures/models/:
  tiny-a/        original config key style (block_ff_dim, full_attn_idxs, rope_theta,
                 tie_embedding, block_auto_adjust_ff_dim), layers conv,conv,attn,conv,attn,
                 GQA group 2, no conv bias, F32 model.safetensors, vocab 512.
  tiny-b/        transformers 5 key style (intermediate_size, layer_types, rope_parameters),
                 attention FIRST, GQA group 1, conv_bias on, conv_L_cache 4, auto-adjust off,
                 BF16 weights sharded over several files with model.safetensors.index.json.
  tiny-chat/     full 65,536-row vocabulary with the real LFM2 tokenizer files and chat
                 template, BF16 weights (small hidden size), for tokenizer + engine + CLI tests.
  tiny-a-f16/    tiny-a's weights stored as F16 safetensors (original key style kept).
  tiny-a-f32.gguf, tiny-a-q8_0.gguf, tiny-a-q4_0.gguf   tiny-a written as llama.cpp's converter
                 writes arch `lfm2` (names and keys of docs/lfm2.md §4.2/4.3); no tokenizer.
  tiny-chat-q8_0.gguf   tiny-chat with the tokenizer and chat template embedded.
  tiny-c/, tiny-d/   untied lm_head + explicit head_dim + attention only; conv only.
  tiny-k-q4_k_m.gguf   Q4_K matrices with Q6_K token_embd / ffn_down (hidden 256).
  goldens/<name>.json + <name>.logits.f32   prompts, greedy continuations and logits from
                 transformers (float32 math; for the GGUF quant files, transformers run on the
                 dequantized weights).

Also, with --bench OUTDIR: random weights in LFM2-350M's exact shape (BF16 safetensors folder
and Q8_0 / Q4_0 / BF16 GGUF files) for benchmarks; nothing of it is committed. --bench-shape 1.2b
or 230m writes GGUF files in the LFM2.5-1.2B / LFM2.5-230M shapes instead (--bench-formats).
"""
import argparse
import json
import os
import shutil

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests/Fixtures")
OUT = os.path.join(FIX, "models")
TOKDIR = os.path.join(FIX, "lfm2-tokenizer")


# ---------------------------------------------------------------- GGUF writing (numpy only)
def gguf_write(path, cfg, tensors, qtype, tokenizer_dir=None, chat_template=None, qtype_for=None):
    """Write an `lfm2` GGUF the way llama.cpp's converter does. `tensors` maps HF names to
    float32 numpy arrays; `cfg` holds the derived model facts."""
    import gguf
    from gguf import GGMLQuantizationType as T, quants

    w = gguf.GGUFWriter(path, "lfm2")
    w.add_string("general.name", os.path.basename(path))
    w.add_uint32("general.file_type", {T.F32: 0, T.F16: 1, T.Q8_0: 7, T.Q4_0: 2, T.BF16: 32, T.Q4_K: 15}[qtype])
    w.add_uint32("general.quantization_version", 2)
    w.add_uint32("lfm2.block_count", cfg["n_layers"])
    w.add_uint32("lfm2.context_length", cfg["max_pos"])
    w.add_uint32("lfm2.embedding_length", cfg["hidden"])
    w.add_uint32("lfm2.feed_forward_length", cfg["ffn"])
    w.add_uint32("lfm2.attention.head_count", cfg["n_heads"])
    w.add_array("lfm2.attention.head_count_kv", [0 if t == "conv" else cfg["n_kv"] for t in cfg["layer_types"]])
    w.add_float32("lfm2.rope.freq_base", cfg["rope_theta"])
    w.add_float32("lfm2.attention.layer_norm_rms_epsilon", cfg["eps"])
    w.add_uint32("lfm2.vocab_size", cfg["vocab"])
    w.add_uint32("lfm2.shortconv.l_cache", cfg["conv_k"])
    if tokenizer_dir:
        tj = json.load(open(os.path.join(tokenizer_dir, "tokenizer.json")))
        tc = json.load(open(os.path.join(tokenizer_dir, "tokenizer_config.json")))
        n = cfg["vocab"]
        tokens = [f"[PAD{i}]" for i in range(n)]
        types = [5] * n
        for t, i in tj["model"]["vocab"].items():
            tokens[i] = t
            types[i] = 1
        for a in tj["added_tokens"]:
            tokens[a["id"]] = a["content"]
            types[a["id"]] = 3 if a["special"] else 4
        w.add_string("tokenizer.ggml.model", "gpt2")
        w.add_string("tokenizer.ggml.pre", "lfm2")
        w.add_array("tokenizer.ggml.tokens", tokens)
        w.add_array("tokenizer.ggml.token_type", types)
        w.add_array("tokenizer.ggml.merges", [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]])
        w.add_uint32("tokenizer.ggml.bos_token_id", 1)
        w.add_uint32("tokenizer.ggml.eos_token_id", 7)
        w.add_uint32("tokenizer.ggml.padding_token_id", 0)
        w.add_bool("tokenizer.ggml.add_bos_token", bool(tc.get("add_bos_token", True)))
        w.add_bool("tokenizer.ggml.add_eos_token", False)
    if chat_template:
        w.add_string("tokenizer.chat_template", chat_template)

    def put(name, arr, quantize):
        arr = np.ascontiguousarray(arr.astype(np.float32))
        qt = qtype_for(name) if (qtype_for and quantize) else qtype
        if quantize and qt in (T.Q4_K, T.Q6_K):
            q = quantize_k(arr, qt.name)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qt)
            return
        if not quantize or qtype == T.F32:
            w.add_tensor(name, arr)
        elif qtype == T.F16:
            w.add_tensor(name, arr.astype(np.float16))
        else:
            q = quants.quantize(arr, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)

    put("token_embd.weight", tensors["model.embed_tokens.weight"], True)
    put("token_embd_norm.weight", tensors["model.embedding_norm.weight"], False)
    if "lm_head.weight" in tensors:
        put("output.weight", tensors["lm_head.weight"], True)
    for i, t in enumerate(cfg["layer_types"]):
        p = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", tensors[p + "operator_norm.weight"], False)
        put(f"blk.{i}.ffn_norm.weight", tensors[p + "ffn_norm.weight"], False)
        put(f"blk.{i}.ffn_gate.weight", tensors[p + "feed_forward.w1.weight"], True)
        put(f"blk.{i}.ffn_up.weight", tensors[p + "feed_forward.w3.weight"], True)
        put(f"blk.{i}.ffn_down.weight", tensors[p + "feed_forward.w2.weight"], True)
        if t == "conv":
            put(f"blk.{i}.shortconv.in_proj.weight", tensors[p + "conv.in_proj.weight"], True)
            put(f"blk.{i}.shortconv.out_proj.weight", tensors[p + "conv.out_proj.weight"], True)
            put(f"blk.{i}.shortconv.conv.weight", tensors[p + "conv.conv.weight"].squeeze(1), False)
        else:
            put(f"blk.{i}.attn_q.weight", tensors[p + "self_attn.q_proj.weight"], True)
            put(f"blk.{i}.attn_k.weight", tensors[p + "self_attn.k_proj.weight"], True)
            put(f"blk.{i}.attn_v.weight", tensors[p + "self_attn.v_proj.weight"], True)
            put(f"blk.{i}.attn_output.weight", tensors[p + "self_attn.out_proj.weight"], True)
            put(f"blk.{i}.attn_q_norm.weight", tensors[p + "self_attn.q_layernorm.weight"], False)
            put(f"blk.{i}.attn_k_norm.weight", tensors[p + "self_attn.k_layernorm.weight"], False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def quantize_k(x, kind):
    """A simple, valid Q4_K / Q6_K encoder (docs/lfm2.md §6.3 layouts; per-sub-block min/max
    scales, not ggml's iterative search). gguf-py can dequantize K-quants but not write them.
    Returns uint8 [rows, row_bytes]."""
    x = np.asarray(x, np.float32)
    rows, n = x.shape
    assert n % 256 == 0
    blocks = x.reshape(rows, n // 256, 256)
    if kind == "Q6_K":
        out = np.zeros((rows, n // 256, 210), np.uint8)
        g = blocks.reshape(rows, n // 256, 16, 16)
        sg = np.abs(g).max(-1) / 31.0                               # per-16 scale so q−32 ∈ [−31, 31]
        d = sg.max(-1) / 127.0
        d16 = d.astype(np.float16)
        df = d16.astype(np.float32)
        sc = np.where(df[..., None] > 0, np.round(sg / np.maximum(df[..., None], 1e-30)), 0).clip(-128, 127).astype(np.int8)
        eff = df[..., None] * sc.astype(np.float32)
        q = np.where(eff[..., None] != 0, np.round(g / np.where(eff[..., None] != 0, eff[..., None], 1)), 0).clip(-32, 31).astype(np.int32) + 32
        q = q.reshape(rows, n // 256, 256)
        for h in range(2):
            base = 128 * h
            for l in range(32):
                q0, q1, q2, q3 = q[..., base + l], q[..., base + 32 + l], q[..., base + 64 + l], q[..., base + 96 + l]
                out[..., 64 * h + l] = (q0 & 15) | ((q2 & 15) << 4)
                out[..., 64 * h + l + 32] = (q1 & 15) | ((q3 & 15) << 4)
                out[..., 128 + 32 * h + l] = (q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6)
        out[..., 192:208] = sc.view(np.uint8)
        out[..., 208:210] = d16[..., None].view(np.uint8).reshape(rows, n // 256, 2)
        return out.reshape(rows, -1)
    assert kind == "Q4_K"
    out = np.zeros((rows, n // 256, 144), np.uint8)
    sb = blocks.reshape(rows, n // 256, 8, 32)
    lo = np.minimum(sb.min(-1), 0.0)
    hi = sb.max(-1)
    scale = (hi - lo) / 15.0
    mval = -lo
    d = (scale.max(-1) / 63.0).astype(np.float16)
    dmin = (mval.max(-1) / 63.0).astype(np.float16)
    df, dmf = d.astype(np.float32), dmin.astype(np.float32)
    s6 = np.where(df[..., None] > 0, np.round(scale / np.maximum(df[..., None], 1e-30)), 0).clip(0, 63).astype(np.int32)
    m6 = np.where(dmf[..., None] > 0, np.round(mval / np.maximum(dmf[..., None], 1e-30)), 0).clip(0, 63).astype(np.int32)
    eff = df[..., None] * s6
    offs = dmf[..., None] * m6
    q = np.where(eff[..., None] > 0, np.round((sb + offs[..., None]) / np.where(eff[..., None] > 0, eff[..., None], 1)), 0)
    q = q.clip(0, 15).astype(np.int32).reshape(rows, n // 256, 256)
    out[..., 0:2] = d[..., None].view(np.uint8).reshape(rows, n // 256, 2)
    out[..., 2:4] = dmin[..., None].view(np.uint8).reshape(rows, n // 256, 2)
    for j in range(4):
        out[..., 4 + j] = (s6[..., j] & 63) | ((s6[..., j + 4] >> 4) << 6)
        out[..., 8 + j] = (m6[..., j] & 63) | ((m6[..., j + 4] >> 4) << 6)
        out[..., 12 + j] = (s6[..., j + 4] & 15) | ((m6[..., j + 4] & 15) << 4)
    for gi in range(4):
        for l in range(32):
            out[..., 16 + 32 * gi + l] = (q[..., 64 * gi + l] & 15) | ((q[..., 64 * gi + 32 + l] & 15) << 4)
    return out.reshape(rows, -1)


def dequantized(tensors, qtype):
    """The float32 weights a quantized GGUF file actually holds (for reference logits)."""
    from gguf import quants
    out = {}
    for k, v in tensors.items():
        if v.ndim == 2 and "conv.conv" not in k and "norm" not in k:
            out[k] = quants.dequantize(quants.quantize(v.astype(np.float32), qtype), qtype).reshape(v.shape)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------- reference model runs
def init_weights(model, seed):
    """Random weights with a scale that gives peaked next-token distributions (so greedy
    continuations have clear margins): N(0,1) embedding, N(0, 1/fan_in) matrices, 1 ± 0.2 norms."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "conv.conv" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / np.sqrt(p.shape[-1]))


def reference(model, prompts, n_new=32):
    """Full-sequence logits for each prompt plus a 32-token greedy continuation (no EOS stop)."""
    import torch
    logits_all, greedy, margins = [], [], []
    with torch.no_grad():
        for ids in prompts:
            out = model(torch.tensor([ids]), use_cache=False).logits[0].float().numpy()
            logits_all.append(out)
            seq = list(ids)
            gen = []
            for _ in range(n_new):
                last = model(torch.tensor([seq]), use_cache=False).logits[0, -1].float()
                top = torch.topk(last, 2)
                margins.append(float(top.values[0] - top.values[1]))
                nxt = int(top.indices[0])
                gen.append(nxt)
                seq.append(nxt)
            greedy.append(gen)
            # Cross-check with transformers' own generate (greedy, EOS disabled). transformers 5.24's
            # cache cannot run a model without attention layers (get_seq_length raises); the
            # full-sequence loop above is the reference there.
            if any(t != "conv" for t in model.config.layer_types):
                g = model.generate(torch.tensor([ids]), max_new_tokens=n_new, do_sample=False, eos_token_id=None,
                                   pad_token_id=0, min_new_tokens=n_new)
                assert g[0, len(ids):].tolist() == gen, "generate() disagrees with the manual greedy loop"
    return logits_all, greedy, min(margins)


def save_goldens(name, prompts, logits_all, greedy, extra=None):
    os.makedirs(os.path.join(OUT, "goldens"), exist_ok=True)
    flat = np.concatenate([l.reshape(-1) for l in logits_all]).astype("<f4")
    flat.tofile(os.path.join(OUT, "goldens", f"{name}.logits.f32"))
    rec = {"prompts": prompts, "vocab": int(logits_all[0].shape[-1]), "greedy": greedy,
           "logits_file": f"{name}.logits.f32", "logits_layout": "[prompt][position][vocab] float32 little-endian"}
    rec.update(extra or {})
    with open(os.path.join(OUT, "goldens", f"{name}.json"), "w") as f:
        json.dump(rec, f, indent=1)


def state_tensors(model):
    return {k: v.detach().float().numpy() for k, v in model.state_dict().items()}


def make_tiny_a():
    import torch
    from transformers import Lfm2ForCausalLM
    d = os.path.join(OUT, "tiny-a")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    # Original key style, as in the first LFM2 releases.
    cfg = {"architectures": ["Lfm2ForCausalLM"], "model_type": "lfm2", "vocab_size": 512, "hidden_size": 64,
           "num_hidden_layers": 5, "num_attention_heads": 4, "num_heads": 4, "num_key_value_heads": 2,
           "block_dim": 64, "block_ff_dim": 256, "block_multiple_of": 32, "block_ffn_dim_multiplier": 1.0,
           "block_auto_adjust_ff_dim": True, "block_norm_eps": 1e-5, "norm_eps": 1e-5, "conv_L_cache": 3,
           "conv_bias": False, "conv_dim": 64, "conv_dim_out": 64, "full_attn_idxs": [2, 4], "rope_theta": 10000.0,
           "max_position_embeddings": 128000, "tie_embedding": True, "bos_token_id": 1, "eos_token_id": 7,
           "pad_token_id": 0, "torch_dtype": "float32", "use_cache": True, "block_use_swiglu": True}
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(d)
    assert config.layer_types == ["conv", "conv", "full_attention", "conv", "full_attention"], config.layer_types
    assert config.rope_parameters["rope_theta"] == 10000.0
    model = Lfm2ForCausalLM(config).float().eval()
    init_weights(model, 1)
    model.save_pretrained(d)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)   # keep the original key style on disk
    model = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    ffn = model.model.layers[0].feed_forward.w1.weight.shape[0]
    assert ffn == 192, ffn
    prompts = [[1], [1, 17, 300, 42, 9, 511, 256], list(np.random.RandomState(3).randint(0, 512, 23)),
               list(np.random.RandomState(4).randint(0, 512, 40))]
    prompts = [[int(x) for x in p] for p in prompts]
    logits, greedy, margin = reference(model, prompts)
    save_goldens("tiny-a", prompts, logits, greedy, {"min_greedy_margin": margin})
    print("tiny-a: min greedy margin", margin)

    # The same weights stored as F16 safetensors, with their own reference (fp16-rounded weights, fp32 math).
    d16 = os.path.join(OUT, "tiny-a-f16")
    shutil.rmtree(d16, ignore_errors=True)
    model.to(torch.float16).save_pretrained(d16)
    json.dump({**cfg, "torch_dtype": "float16"}, open(os.path.join(d16, "config.json"), "w"), indent=2)
    m16 = Lfm2ForCausalLM.from_pretrained(d16, dtype=torch.float32).eval()
    l16, g16, m = reference(m16, prompts[:3], n_new=16)
    save_goldens("tiny-a-f16", prompts[:3], l16, g16, {"min_greedy_margin": m})
    model = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()

    # GGUF versions and their own references (transformers on the dequantized weights).
    from gguf import GGMLQuantizationType as T
    tensors = state_tensors(model)
    tensors.pop("lm_head.weight", None)
    facts = {"n_layers": 5, "max_pos": 128000, "hidden": 64, "ffn": ffn, "n_heads": 4, "n_kv": 2,
             "layer_types": config.layer_types, "rope_theta": 10000.0, "eps": 1e-5, "vocab": 512, "conv_k": 3}
    for qname, qt in [("f32", T.F32), ("q8_0", T.Q8_0), ("q4_0", T.Q4_0)]:
        gguf_write(os.path.join(OUT, f"tiny-a-{qname}.gguf"), facts, tensors, qt)
        if qt != T.F32:
            deq = dequantized(tensors, qt)
            m2 = Lfm2ForCausalLM(config).float().eval()
            sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in deq.items()}
            sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
            m2.load_state_dict(sd, strict=False)
            l2, g2, m = reference(m2, prompts[:3], n_new=8)
            save_goldens(f"tiny-a-{qname}", prompts[:3], l2, g2, {"min_greedy_margin": m})


def make_tiny_b():
    import torch
    from transformers import Lfm2Config, Lfm2ForCausalLM
    d = os.path.join(OUT, "tiny-b")
    shutil.rmtree(d, ignore_errors=True)
    config = Lfm2Config(vocab_size=512, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                        num_key_value_heads=4, intermediate_size=160, block_auto_adjust_ff_dim=False,
                        layer_types=["full_attention", "conv", "conv", "full_attention"], conv_bias=True,
                        conv_L_cache=4, norm_eps=1e-5, rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"},
                        max_position_embeddings=32768, tie_word_embeddings=True, bos_token_id=1, eos_token_id=7,
                        pad_token_id=0)
    model = Lfm2ForCausalLM(config).float().eval()
    init_weights(model, 2)
    model = model.to(torch.bfloat16)
    model.save_pretrained(d, max_shard_size="60KB")
    cfg = json.load(open(os.path.join(d, "config.json")))
    assert "layer_types" in cfg and cfg.get("full_attn_idxs") is None   # transformers writes null
    assert os.path.exists(os.path.join(d, "model.safetensors.index.json"))
    model = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    assert model.model.layers[0].feed_forward.w1.weight.shape[0] == 160
    prompts = [[1, 5], [1, 200, 3, 77, 77, 77, 12, 400, 9, 10, 11], [int(x) for x in np.random.RandomState(5).randint(0, 512, 30)]]
    logits, greedy, margin = reference(model, prompts)
    save_goldens("tiny-b", prompts, logits, greedy, {"min_greedy_margin": margin})
    print("tiny-b: min greedy margin", margin, "files", sorted(os.listdir(d)))


def make_tiny_chat():
    import torch
    from transformers import AutoTokenizer, Lfm2Config, Lfm2ForCausalLM
    d = os.path.join(OUT, "tiny-chat")
    shutil.rmtree(d, ignore_errors=True)
    config = Lfm2Config(vocab_size=65536, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        num_key_value_heads=2, intermediate_size=64, block_auto_adjust_ff_dim=False,
                        layer_types=["conv", "full_attention", "conv"], conv_bias=False, conv_L_cache=3,
                        norm_eps=1e-5, rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"},
                        max_position_embeddings=4096, tie_word_embeddings=True, bos_token_id=1, eos_token_id=7,
                        pad_token_id=0)
    model = Lfm2ForCausalLM(config).float().eval()
    init_weights(model, 3)
    with torch.no_grad():
        # Make <|im_end|> unlikely to win greedily so continuations run the full 32 tokens.
        model.model.embed_tokens.weight[7] *= 0.1
    model = model.to(torch.bfloat16)
    model.save_pretrained(d)
    for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(os.path.join(TOKDIR, f), d)
    model = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(d)
    chats = [[{"role": "user", "content": "Hello!"}],
             [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2? Answer in Français, s'il te plaît 🙂"}]]
    prompts, texts = [], []
    for c in chats:
        text = tok.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        prompts.append(ids)
        texts.append(text)
    prompts.append(tok("The capital of France is")["input_ids"])
    logits, greedy, margin = reference(model, prompts)
    # Only the last position's logits are stored for the 65,536-row vocabulary.
    last = [l[-1:] for l in logits]
    save_goldens("tiny-chat", prompts, last, greedy,
                 {"min_greedy_margin": margin, "chats": chats, "rendered": texts, "raw_prompt": "The capital of France is",
                  "logits_positions": "last only", "greedy_text": [tok.decode(g) for g in greedy]})
    print("tiny-chat: min greedy margin", margin)

    from gguf import GGMLQuantizationType as T
    tensors = state_tensors(model)
    tensors.pop("lm_head.weight", None)
    facts = {"n_layers": 3, "max_pos": 4096, "hidden": 32, "ffn": 64, "n_heads": 4, "n_kv": 2,
             "layer_types": config.layer_types, "rope_theta": 1000000.0, "eps": 1e-5, "vocab": 65536, "conv_k": 3}
    gguf_write(os.path.join(OUT, "tiny-chat-q8_0.gguf"), facts, tensors, T.Q8_0, tokenizer_dir=TOKDIR,
               chat_template=open(os.path.join(TOKDIR, "chat_template.jinja")).read())
    deq = dequantized(tensors, T.Q8_0)
    m2 = Lfm2ForCausalLM(config).float().eval()
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in deq.items()}
    sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    m2.load_state_dict(sd, strict=False)
    l2, g2, m = reference(m2, prompts, n_new=16)
    save_goldens("tiny-chat-q8_0", prompts, [l[-1:] for l in l2], g2, {"min_greedy_margin": m, "logits_positions": "last only"})


def make_edge_shapes():
    """Shapes real checkpoints could have that the main fixtures do not: an untied lm_head with an
    explicit head_dim and only attention layers (tiny-c), and only conv layers (tiny-d)."""
    import torch
    from transformers import Lfm2Config, Lfm2ForCausalLM
    cases = {
        "tiny-c": dict(vocab_size=384, hidden_size=64, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                       head_dim=32, intermediate_size=96, block_auto_adjust_ff_dim=False,
                       layer_types=["full_attention"] * 3, tie_word_embeddings=False),
        "tiny-d": dict(vocab_size=384, hidden_size=64, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4,
                       intermediate_size=128, block_auto_adjust_ff_dim=False, layer_types=["conv"] * 3,
                       tie_word_embeddings=True),
    }
    for i, (name, kw) in enumerate(cases.items()):
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        config = Lfm2Config(conv_L_cache=3, norm_eps=1e-5, rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"},
                            max_position_embeddings=4096, bos_token_id=1, eos_token_id=7, pad_token_id=0, **kw)
        model = Lfm2ForCausalLM(config).float().eval()
        init_weights(model, 10 + i)
        model.save_pretrained(d)
        model = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
        if name == "tiny-c":
            assert model.model.layers[0].self_attn.q_proj.weight.shape == (128, 64)
            assert model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr()
        prompts = [[1, 2, 3], [int(x) for x in np.random.RandomState(20 + i).randint(0, 384, 19)]]
        logits, greedy, margin = reference(model, prompts, n_new=16)
        save_goldens(name, prompts, logits, greedy, {"min_greedy_margin": margin})
        print(name, "min greedy margin", margin)


def make_tiny_k():
    """A K-quant GGUF like llama.cpp's Q4_K_M recipe (Q4_K matrices, Q6_K token_embd and
    ffn_down), hidden 256 so rows are whole 256-element super-blocks; the reference is
    transformers on the weights the file actually holds (dequantized by gguf-py)."""
    import torch
    from gguf import GGMLQuantizationType as T, quants
    from transformers import Lfm2Config, Lfm2ForCausalLM
    config = Lfm2Config(vocab_size=512, hidden_size=256, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                        intermediate_size=512, block_auto_adjust_ff_dim=False, layer_types=["conv", "full_attention", "conv"],
                        conv_L_cache=3, norm_eps=1e-5, rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"},
                        max_position_embeddings=4096, tie_word_embeddings=True, bos_token_id=1, eos_token_id=7, pad_token_id=0)
    model = Lfm2ForCausalLM(config).float().eval()
    init_weights(model, 30)
    tensors = state_tensors(model)
    tensors.pop("lm_head.weight", None)
    six = lambda name: T.Q6_K if name in ("token_embd.weight",) or name.endswith("ffn_down.weight") else T.Q4_K
    facts = {"n_layers": 3, "max_pos": 4096, "hidden": 256, "ffn": 512, "n_heads": 4, "n_kv": 2,
             "layer_types": config.layer_types, "rope_theta": 1000000.0, "eps": 1e-5, "vocab": 512, "conv_k": 3}
    gguf_write(os.path.join(OUT, "tiny-k-q4_k_m.gguf"), facts, tensors, T.Q4_K, qtype_for=six)
    gg = {"model.embed_tokens.weight": "token_embd.weight"}
    deq = {}
    for k, v in tensors.items():
        if v.ndim == 2 and "norm" not in k and "conv.conv" not in k:
            qt = T.Q6_K if k == "model.embed_tokens.weight" or k.endswith("feed_forward.w2.weight") else T.Q4_K
            deq[k] = quants.dequantize(quantize_k(v, qt.name), qt).reshape(v.shape)
        else:
            deq[k] = v
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in deq.items()}
    sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    model.load_state_dict(sd, strict=False)
    prompts = [[1, 2, 3, 4], [int(x) for x in np.random.RandomState(31).randint(0, 512, 21)]]
    logits, greedy, margin = reference(model, prompts, n_new=12)
    save_goldens("tiny-k-q4_k_m", prompts, logits, greedy, {"min_greedy_margin": margin})
    print("tiny-k: min greedy margin", margin)


# Other shapes for benchmarks (GGUF only): hidden, layers, FFN (after the auto-adjust), query heads,
# KV heads, attention layer indices. 1.2b and 230m: the LFM2.5-1.2B and LFM2.5-230M shapes.
BENCH_SHAPES = {
    "350m": (1024, 16, 4608, 16, 8, {2, 5, 8, 10, 12, 14}),
    "1.2b": (2048, 16, 8192, 32, 8, {2, 5, 8, 10, 12, 14}),
    "230m": (1024, 14, 2560, 16, 8, {2, 4, 6, 8, 10, 12}),
}


def make_bench(outdir, shape="350m", formats=("q8_0", "q4_0", "f16", "bf16")):
    """Random weights in an LFM2 shape (BENCH_SHAPES), for benchmarks (never committed). 350m also
    writes the BF16 safetensors folder."""
    import gguf
    from gguf import GGMLQuantizationType as T
    from safetensors.numpy import save_file
    rng = np.random.default_rng(0)
    D, N, F, Hq, Hkv, attn = BENCH_SHAPES[shape]
    V, hd, K = 65536, D // Hq, 3
    types = ["full_attention" if i in attn else "conv" for i in range(N)]
    t = {"model.embed_tokens.weight": rng.standard_normal((V, D), dtype=np.float32) * 0.02,
         "model.embedding_norm.weight": np.ones(D, np.float32)}
    for i in range(N):
        p = f"model.layers.{i}."
        t[p + "operator_norm.weight"] = np.ones(D, np.float32)
        t[p + "ffn_norm.weight"] = np.ones(D, np.float32)
        t[p + "feed_forward.w1.weight"] = rng.standard_normal((F, D), dtype=np.float32) * 0.02
        t[p + "feed_forward.w3.weight"] = rng.standard_normal((F, D), dtype=np.float32) * 0.02
        t[p + "feed_forward.w2.weight"] = rng.standard_normal((D, F), dtype=np.float32) * 0.02
        if i in attn:
            t[p + "self_attn.q_proj.weight"] = rng.standard_normal((Hq * hd, D), dtype=np.float32) * 0.02
            t[p + "self_attn.k_proj.weight"] = rng.standard_normal((Hkv * hd, D), dtype=np.float32) * 0.02
            t[p + "self_attn.v_proj.weight"] = rng.standard_normal((Hkv * hd, D), dtype=np.float32) * 0.02
            t[p + "self_attn.out_proj.weight"] = rng.standard_normal((D, Hq * hd), dtype=np.float32) * 0.02
            t[p + "self_attn.q_layernorm.weight"] = np.ones(hd, np.float32)
            t[p + "self_attn.k_layernorm.weight"] = np.ones(hd, np.float32)
        else:
            t[p + "conv.in_proj.weight"] = rng.standard_normal((3 * D, D), dtype=np.float32) * 0.02
            t[p + "conv.out_proj.weight"] = rng.standard_normal((D, D), dtype=np.float32) * 0.02
            t[p + "conv.conv.weight"] = rng.standard_normal((D, 1, K), dtype=np.float32) * 0.3
    os.makedirs(outdir, exist_ok=True)
    facts = {"n_layers": N, "max_pos": 128000, "hidden": D, "ffn": F, "n_heads": Hq, "n_kv": Hkv,
             "layer_types": types, "rope_theta": 1e6, "eps": 1e-5, "vocab": V, "conv_k": K}
    tmpl = open(os.path.join(TOKDIR, "chat_template.jinja")).read()
    qtypes = {"q8_0": T.Q8_0, "q4_0": T.Q4_0, "f16": T.F16, "bf16": T.BF16}
    if shape != "350m":
        for name in formats:
            gguf_write(os.path.join(outdir, f"lfm2-{shape}-shape-{name}.gguf"), facts, t, qtypes[name], tokenizer_dir=TOKDIR,
                       chat_template=tmpl)
        print("bench model written to", outdir)
        return
    hf = os.path.join(outdir, "lfm2-350m-shape")
    os.makedirs(hf, exist_ok=True)
    import torch
    from safetensors.torch import save_file as save_torch
    save_torch({k: torch.from_numpy(v).to(torch.bfloat16) for k, v in t.items()}, os.path.join(hf, "model.safetensors"),
               metadata={"format": "pt"})
    cfg = {"architectures": ["Lfm2ForCausalLM"], "model_type": "lfm2", "vocab_size": V, "hidden_size": D,
           "num_hidden_layers": N, "num_attention_heads": Hq, "num_key_value_heads": Hkv, "block_ff_dim": 6656,
           "intermediate_size": 6656, "block_multiple_of": 256, "block_ffn_dim_multiplier": 1.0,
           "block_auto_adjust_ff_dim": True, "norm_eps": 1e-5, "conv_L_cache": 3, "conv_bias": False,
           "layer_types": types, "rope_theta": 1e6, "max_position_embeddings": 128000, "tie_word_embeddings": True,
           "bos_token_id": 1, "eos_token_id": 7, "pad_token_id": 0, "torch_dtype": "bfloat16"}
    json.dump(cfg, open(os.path.join(hf, "config.json"), "w"), indent=2)
    for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(os.path.join(TOKDIR, f), hf)
    for name in formats:
        gguf_write(os.path.join(outdir, f"lfm2-350m-shape-{name}.gguf"), facts, t, qtypes[name], tokenizer_dir=TOKDIR,
                   chat_template=tmpl)
    print("bench model written to", outdir)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="write LFM2-shaped random checkpoints to this folder instead")
    ap.add_argument("--bench-shape", default="350m", choices=sorted(BENCH_SHAPES),
                    help="with --bench: the shape (350m also writes the safetensors folder)")
    ap.add_argument("--bench-formats", default="q8_0,q4_0,f16,bf16", help="with --bench: GGUF types, comma-separated")
    args = ap.parse_args()
    if args.bench:
        make_bench(args.bench, args.bench_shape, tuple(args.bench_formats.split(",")))
    else:
        os.makedirs(OUT, exist_ok=True)
        make_tiny_a()
        make_tiny_b()
        make_tiny_chat()
        make_edge_shapes()
        make_tiny_k()
        os.system(f"du -sh {OUT}/* {OUT}/goldens")
