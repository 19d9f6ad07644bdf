#!/usr/bin/env python3
"""Recomputes the log-likelihoods of an lm-evaluation-harness run (scripts/lm-eval.sh, samples
logged with --log_samples) with transformers, and prints the largest difference.

    python3 scripts/lm_eval_check.py MODEL_DIR RESULTS_DIR

Each sample's choices are (context, continuation) pairs; they are encoded as lm-eval's API models
encode them (TemplateAPI._encode_pair: trailing spaces of the context move to the continuation,
no BOS), scored as sum(log_softmax(logits[i-1])[ids[i]]) over the continuation in float32, and
compared with the value lm-eval got from the server. Exits 1 when a difference exceeds 1e-3 or a
greedy flag differs.
"""
import glob
import json
import os
import sys


def encode_pair(tok, context, continuation):
    n = len(context) - len(context.rstrip())
    if n > 0:
        continuation = context[-n:] + continuation
        context = context[:-n]
    whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tok(context, add_special_tokens=False)["input_ids"]
    return ctx, whole[len(ctx):]


def main():
    import torch
    from transformers import AutoTokenizer, Lfm2ForCausalLM
    model_dir, results = sys.argv[1], sys.argv[2]
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = Lfm2ForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    files = glob.glob(os.path.join(results, "**", "samples_*.jsonl"), recursive=True)
    assert files, f"no samples_*.jsonl under {results}"
    worst, n, flags, docs, acc_differs = 0.0, 0, 0, 0, 0
    for path in files:
        for line in open(path):
            s = json.loads(line)
            refs = []
            for args, resp in zip(s["arguments"].values(), s["filtered_resps"]):
                ctx, cont = encode_pair(tok, args["arg_0"], args["arg_1"])
                ids = ctx + cont
                with torch.no_grad():
                    lp = torch.log_softmax(model(torch.tensor([ids]), use_cache=False).logits[0].float(), dim=-1)
                ref = sum(float(lp[i - 1, ids[i]]) for i in range(len(ctx), len(ids)))
                greedy = all(int(lp[i - 1].argmax()) == ids[i] for i in range(len(ctx), len(ids)))
                # The samples file holds the values as strings ("-17.25", "False").
                got, got_greedy = float(resp[0]), str(resp[1]) == "True"
                worst = max(worst, abs(got - ref))
                flags += got_greedy != greedy
                refs.append(ref)
                n += 1
            if "acc" in s:
                docs += 1
                acc_differs += float(refs.index(max(refs)) == int(s["target"])) != float(s["acc"])
    print(f"lm_eval_check: {n} continuations of {docs} questions rescored with transformers; "
          f"max |server - transformers| = {worst:.2e}; greedy flags differing: {flags}; acc differing: {acc_differs}")
    sys.exit(0 if worst < 1e-3 and flags == 0 and acc_differs == 0 else 1)


if __name__ == "__main__":
    main()
