#!/usr/bin/env python3
"""Make a random-weight checkpoint in the exact shape of LFM2-8B-A1B (`Lfm2MoeForCausalLM`) for
the MoE benchmarks of docs/benchmarks.md, then (optionally) convert it with llama.cpp's
convert_hf_to_gguf.py and quantize it with llama-quantize.

Shape (the released model's config.json): hidden 2048, 24 layers with attention at layers
2, 6, 10, 14, 18, 21 (the rest short-conv), 32 query / 8 KV heads, the first 2 layers dense
(FFN 7168), the other 22 MoE with 32 experts of FFN 1792, top-4, sigmoid router with expert
bias, vocabulary 65,536, tied embeddings; 8.3B parameters. The remaining keys are transformers'
Lfm2MoeConfig defaults.

An 8B model does not fit in memory as a torch model, so the safetensors file is written tensor
by tensor (header first, then each tensor's bytes generated and written in turn; nothing but
one tensor is ever held): bf16, per-expert tensors `feed_forward.experts.{e}.w1/w2/w3.weight`
as in the original Liquid release (the layout llama.cpp's converter stacks). Weights are
random bf16 values of magnitude 2^-10 .. 2^-6 with random signs (uniform bits, far faster than
a normal sampler for 8.3B values); norms are ones. The tokenizer and chat template are the LFM2
ones in Tests/Fixtures/lfm2-tokenizer (64,400 tokens; the converter pads the vocabulary to 65,536).

    python3 scripts/make_moe_bench_model.py /work/bench-models \
        --llama-cpp /path/to/llama.cpp [--quantize Q4_0 Q4_K_M] [--keep-hf] [--keep-bf16]

writes <out>/lfm2-8b-a1b-shape/ (HF folder), <out>/lfm2-8b-a1b-shape-bf16.gguf and
<out>/lfm2-8b-a1b-shape-<type>.gguf for each --quantize type (llama-quantize is looked up
next to llama-bench in <llama.cpp>/build/bin). The HF folder and the bf16 GGUF are deleted at
the end unless kept (together they are ~33 GB).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKDIR = os.path.join(ROOT, "Tests", "Fixtures", "lfm2-tokenizer")

D, N_LAYERS, HQ, HKV, FFN, MOE_FFN, N_EXP, TOPK, VOCAB, CONV_K = 2048, 24, 32, 8, 7168, 1792, 32, 4, 65536, 3
ATTN = {2, 6, 10, 14, 18, 21}
DENSE = 2
HD = D // HQ

CONFIG = {
    "architectures": ["Lfm2MoeForCausalLM"], "model_type": "lfm2_moe", "vocab_size": VOCAB, "hidden_size": D,
    "intermediate_size": FFN, "moe_intermediate_size": MOE_FFN, "num_hidden_layers": N_LAYERS,
    "num_attention_heads": HQ, "num_key_value_heads": HKV, "num_dense_layers": DENSE, "num_experts": N_EXP,
    "num_experts_per_tok": TOPK, "use_expert_bias": True, "norm_topk_prob": True, "routed_scaling_factor": 1.0,
    "layer_types": ["full_attention" if i in ATTN else "conv" for i in range(N_LAYERS)],
    "conv_L_cache": CONV_K, "conv_bias": False, "norm_eps": 1e-5, "rope_theta": 1000000.0,
    "max_position_embeddings": 128000, "tie_word_embeddings": True, "initializer_range": 0.02,
    "bos_token_id": 1, "eos_token_id": 7, "pad_token_id": 0, "torch_dtype": "bfloat16", "use_cache": True,
}


def tensor_list():
    """(name, shape, dtype, kind) in file order; kind picks the value generator."""
    out = [("model.embed_tokens.weight", (VOCAB, D), "BF16", "w"), ("model.embedding_norm.weight", (D,), "BF16", "one")]
    for i in range(N_LAYERS):
        p = f"model.layers.{i}."
        out += [(p + "operator_norm.weight", (D,), "BF16", "one"), (p + "ffn_norm.weight", (D,), "BF16", "one")]
        if i in ATTN:
            out += [(p + "self_attn.q_proj.weight", (HQ * HD, D), "BF16", "w"),
                    (p + "self_attn.k_proj.weight", (HKV * HD, D), "BF16", "w"),
                    (p + "self_attn.v_proj.weight", (HKV * HD, D), "BF16", "w"),
                    (p + "self_attn.out_proj.weight", (D, HQ * HD), "BF16", "w"),
                    (p + "self_attn.q_layernorm.weight", (HD,), "BF16", "one"),
                    (p + "self_attn.k_layernorm.weight", (HD,), "BF16", "one")]
        else:
            out += [(p + "conv.in_proj.weight", (3 * D, D), "BF16", "w"),
                    (p + "conv.out_proj.weight", (D, D), "BF16", "w"),
                    (p + "conv.conv.weight", (D, 1, CONV_K), "BF16", "conv")]
        if i < DENSE:
            out += [(p + "feed_forward.w1.weight", (FFN, D), "BF16", "w"),
                    (p + "feed_forward.w3.weight", (FFN, D), "BF16", "w"),
                    (p + "feed_forward.w2.weight", (D, FFN), "BF16", "w")]
        else:
            out += [(p + "feed_forward.gate.weight", (N_EXP, D), "BF16", "w"),
                    (p + "feed_forward.expert_bias", (N_EXP,), "F32", "bias")]
            for e in range(N_EXP):
                q = p + f"feed_forward.experts.{e}."
                out += [(q + "w1.weight", (MOE_FFN, D), "BF16", "w"), (q + "w3.weight", (MOE_FFN, D), "BF16", "w"),
                        (q + "w2.weight", (D, MOE_FFN), "BF16", "w")]
    return out


def values(rng, shape, kind):
    n = int(np.prod(shape))
    if kind == "one":
        return np.full(n, 0x3F80, np.uint16)   # bf16 1.0
    if kind == "bias":
        return (rng.standard_normal(n, dtype=np.float32) * 0.05).astype(np.float32)
    r = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    lo = 117 if kind == "w" else 123           # exponents 117..120: 2^-10..2^-6; conv 123..126: 2^-4..1
    return (r & np.uint16(0x807F)) | ((np.uint16(lo) + ((r >> np.uint16(7)) & np.uint16(3))) << np.uint16(7))


def write_safetensors(path, seed):
    tensors = tensor_list()
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, dt, _ in tensors:
        nbytes = int(np.prod(shape)) * (2 if dt == "BF16" else 4)
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + nbytes]}
        off += nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for i, (name, shape, dt, kind) in enumerate(tensors):
            f.write(values(rng, shape, kind).tobytes())
            if i % 200 == 0:
                print(f"  {i}/{len(tensors)} tensors, {f.tell() / 2**30:.1f} GiB, {time.time() - t0:.0f} s", flush=True)
    n_params = sum(int(np.prod(s)) for _, s, _, _ in tensors)
    print(f"wrote {path}: {len(tensors)} tensors, {n_params / 1e9:.3f} B parameters, {off / 2**30:.2f} GiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="output folder (e.g. /work/bench-models; not the repository)")
    ap.add_argument("--llama-cpp", help="llama.cpp source tree with build/bin (converter + llama-quantize)")
    ap.add_argument("--quantize", nargs="*", default=["Q4_0", "Q4_K_M"])
    ap.add_argument("--keep-hf", action="store_true")
    ap.add_argument("--keep-bf16", action="store_true")
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    hf = os.path.join(args.out, "lfm2-8b-a1b-shape")
    bf16 = os.path.join(args.out, "lfm2-8b-a1b-shape-bf16.gguf")
    os.makedirs(hf, exist_ok=True)
    st = os.path.join(hf, "model.safetensors")
    if not os.path.exists(st) and not os.path.exists(bf16):
        write_safetensors(st + ".part", args.seed)
        os.rename(st + ".part", st)
    json.dump(CONFIG, open(os.path.join(hf, "config.json"), "w"), indent=2)
    for f in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(os.path.join(TOKDIR, f), hf)
    if not args.llama_cpp:
        return
    if not os.path.exists(bf16):
        subprocess.run([sys.executable, os.path.join(args.llama_cpp, "convert_hf_to_gguf.py"), hf,
                        "--outfile", bf16 + ".part", "--outtype", "bf16"], check=True)
        os.rename(bf16 + ".part", bf16)
    bindir = os.path.join(args.llama_cpp, "build", "bin")
    env = dict(os.environ, LD_LIBRARY_PATH=bindir + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    for q in args.quantize:
        dst = os.path.join(args.out, f"lfm2-8b-a1b-shape-{q.lower()}.gguf")
        if not os.path.exists(dst):
            subprocess.run([os.path.join(bindir, "llama-quantize"), bf16, dst + ".part", q], check=True, env=env)
            os.rename(dst + ".part", dst)
        print(dst, f"{os.path.getsize(dst) / 2**30:.2f} GiB")
    if not args.keep_bf16:
        os.remove(bf16)
    if not args.keep_hf:
        shutil.rmtree(hf)


if __name__ == "__main__":
    main()
