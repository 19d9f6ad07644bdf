#!/usr/bin/env python3
"""Reference prompt log-probabilities (the `echo` + `logprobs` scores of /v1/completions) from
transformers, for the committed fixture checkpoints.

Run by hand on a machine with the reference libraries (CI needs none of them):
    pip install torch transformers gguf numpy
    python3 scripts/make_prompt_logprob_goldens.py

Writes Tests/Fixtures/models/goldens/prompt-logprobs.json: for each case the fixture path,
the prompt ids, and per prompt position i ≥ 1 the natural-log probability of token i given
tokens 0..<i (`log_softmax(logits[i-1])[ids[i]]`, float32 math; position 0 has none, null)
plus the two most likely tokens there as [id, logprob]. For the Q8_0 GGUF file transformers
runs on the weights the file actually holds (quantized then dequantized, as
scripts/make_fixtures.py does for its goldens).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import OUT, dequantized, state_tensors  # noqa: E402


def scores(model, ids, top=2):
    import torch
    with torch.no_grad():
        logits = model(torch.tensor([ids]), use_cache=False).logits[0].float()
    lp = torch.log_softmax(logits, dim=-1)
    token_lp, tops = [None], [None]
    for i in range(1, len(ids)):
        token_lp.append(float(lp[i - 1, ids[i]]))
        v, k = torch.topk(lp[i - 1], top)
        tops.append([[int(a), float(b)] for a, b in zip(k, v)])
    return token_lp, tops


def main():
    import torch
    from transformers import AutoTokenizer, Lfm2ForCausalLM
    cases = []

    tiny_a = Lfm2ForCausalLM.from_pretrained(os.path.join(OUT, "tiny-a"), dtype=torch.float32).eval()
    prompts = [[1, 17, 300, 42, 9, 511, 256], [int(x) for x in np.random.RandomState(11).randint(0, 512, 45)]]
    for ids in prompts:
        lp, tops = scores(tiny_a, ids)
        cases.append({"fixture": "models/tiny-a", "prompt": ids, "token_logprobs": lp, "top": tops})

    # tiny-a-q8_0.gguf holds tiny-a's matrices quantized to Q8_0 (scripts/make_fixtures.py).
    from gguf import GGMLQuantizationType as T
    tensors = state_tensors(tiny_a)
    tensors.pop("lm_head.weight", None)
    q8 = Lfm2ForCausalLM(tiny_a.config).float().eval()
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in dequantized(tensors, T.Q8_0).items()}
    sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    q8.load_state_dict(sd, strict=False)
    for ids in prompts:
        lp, tops = scores(q8, ids)
        cases.append({"fixture": "models/tiny-a-q8_0.gguf", "prompt": ids, "token_logprobs": lp, "top": tops})

    # tiny-chat has the real tokenizer: these cases also carry the text (API tests send it).
    d = os.path.join(OUT, "tiny-chat")
    chat = Lfm2ForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(d)
    for text in ["The capital of France is Paris.", "Question: 2+2=?\nAnswer: 4"]:
        ids = tok(text)["input_ids"]
        lp, tops = scores(chat, ids)
        cases.append({"fixture": "models/tiny-chat", "text": text, "prompt": ids, "token_logprobs": lp, "top": tops,
                      "tokens": [tok.decode([i]) for i in ids]})

    path = os.path.join(OUT, "goldens", "prompt-logprobs.json")
    with open(path, "w") as f:
        json.dump({"about": "log_softmax(logits[i-1])[ids[i]] from transformers (float32); see the script",
                   "script": "scripts/make_prompt_logprob_goldens.py", "cases": cases}, f, indent=1)
    print("wrote", path, len(cases), "cases")


if __name__ == "__main__":
    main()
