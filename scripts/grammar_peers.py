#!/usr/bin/env python3
"""Runs llguidance or xgrammar over a grammar-check corpus with the LFM2 tokenizer and writes
results in the output format of `lfm-serve grammar-check` (issue 15), one line per corpus line:

  {"compiled": bool, "error": str|null, "compile_us": number,
   "tests": [{"accepted": bool, "tokens": int, "mask_us": [number, ...]}]}

`accepted`: the text, tokenized without special tokens, is allowed token by token by the mask
computed before each token, and the end-of-output token is allowed by the mask after the last
one. `mask_us` holds the wall time of every mask computed (tokens + 1 when accepted: the last
one is the mask that must allow end-of-output). `compile_us` covers schema -> ready matcher.
One thread. Uncompiled schemas have no tests. Each peer runs in a child process; a schema
whose compile and tests take longer than --timeout (60 s) is killed and counts as not compiled.

Peer settings (documented in Tests/Fixtures/grammar/README.md):
  llguidance: LLMatcher.grammar_from_json_schema with default options (flexible whitespace,
    unknown keywords refused); compile = grammar build + LLMatcher construction.
  llguidance-lenient: the same with {"lenient": true, "coerce_one_of": true} (unimplemented
    keywords ignored, oneOf as anyOf) — an over-approximating grammar, a check of the exclusions.
  xgrammar: GrammarCompiler(max_threads=1, cache disabled), compile_json_schema(any_whitespace=True,
    strict_mode=False so that additionalProperties defaults to true as JSON Schema says).

Usage (venv with scripts/requirements-grammar-bench.txt):
  python scripts/grammar_peers.py --peer llguidance --corpus Tests/Fixtures/grammar/schema-corpus.jsonl \
      --tokenizer Tests/Fixtures/lfm2-tokenizer --out bench-out/grammar-llguidance.jsonl
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def eos_id(tokenizer, tok_dir):
    cfg = json.load(open(os.path.join(tok_dir, "tokenizer_config.json"), encoding="utf-8"))
    eos = cfg["eos_token"]
    eos = eos["content"] if isinstance(eos, dict) else eos
    tid = tokenizer.token_to_id(eos)
    if tid is None:
        sys.exit("%s: eos_token %r is not in the vocabulary" % (tok_dir, eos))
    return tid


class LLGuidancePeer:
    name = "llguidance"
    options = None

    def __init__(self, tok_dir, tokenizer, eos):
        import llguidance
        import numpy as np
        self.ll, self.np = llguidance, np
        self.tok = llguidance.LLTokenizer(tokenizer.to_str(), eos_token=eos)
        self.vocab = self.tok.vocab_size
        self.mask = np.zeros(((self.vocab + 31) // 32,), dtype=np.int32)

    def compile(self, schema):
        grammar = self.ll.LLMatcher.grammar_from_json_schema(json.dumps(schema), defaults=self.options)
        matcher = self.ll.LLMatcher(self.tok, grammar, log_level=0)
        if matcher.is_error():
            raise ValueError(matcher.get_error())
        return matcher

    def run(self, compiled, tokens, eos):
        m = compiled.deep_copy()
        return walk(tokens, eos, lambda: self.fill(m), self.allowed, lambda t: m.consume_token(t))

    def fill(self, m):
        m.unsafe_compute_mask_ptr(self.mask.ctypes.data, self.mask.size * 4)
        if m.is_error():
            raise ValueError(m.get_error())

    def allowed(self, t):
        return bool((int(self.mask[t >> 5]) >> (t & 31)) & 1)


class LLGuidanceLenientPeer(LLGuidancePeer):
    """llguidance ignoring the keywords it does not implement and treating oneOf as anyOf:
    shows what the corpus' exclusions leave to a grammar that over-approximates."""
    name = "llguidance-lenient"
    options = {"lenient": True, "coerce_one_of": True}


class XGrammarPeer:
    name = "xgrammar"

    def __init__(self, tok_dir, tokenizer, eos):
        import torch
        import xgrammar
        from transformers import PreTrainedTokenizerFast
        torch.set_num_threads(1)
        self.xg = xgrammar
        hf = PreTrainedTokenizerFast(tokenizer_file=os.path.join(tok_dir, "tokenizer.json"))
        self.vocab = tokenizer.get_vocab_size()
        info = xgrammar.TokenizerInfo.from_huggingface(hf, vocab_size=self.vocab, stop_token_ids=[eos])
        self.compiler = xgrammar.GrammarCompiler(info, max_threads=1, cache_enabled=False)
        self.mask = xgrammar.allocate_token_bitmask(1, self.vocab)

    def compile(self, schema):
        return self.compiler.compile_json_schema(json.dumps(schema), any_whitespace=True, strict_mode=False)

    def run(self, compiled, tokens, eos):
        m = self.xg.GrammarMatcher(compiled)
        return walk(tokens, eos, lambda: m.fill_next_token_bitmask(self.mask, 0), self.allowed,
                    lambda t: m.accept_token(t))

    def allowed(self, t):
        return bool((int(self.mask[0, t >> 5]) >> (t & 31)) & 1)


def walk(tokens, eos, fill, allowed, consume):
    """Mask before every token, then the end-of-output check; returns the test result."""
    times = []
    for t in list(tokens) + [eos]:
        start = time.perf_counter_ns()
        try:
            fill()
        except ValueError:
            return {"accepted": False, "tokens": len(tokens), "mask_us": times}
        times.append(round((time.perf_counter_ns() - start) / 1000, 2))
        if not allowed(t):
            return {"accepted": False, "tokens": len(tokens), "mask_us": times}
        if t != eos and not consume(t):
            return {"accepted": False, "tokens": len(tokens), "mask_us": times}
    return {"accepted": True, "tokens": len(tokens), "mask_us": times}


PEERS = {p.name: p for p in (LLGuidancePeer, LLGuidanceLenientPeer, XGrammarPeer)}


def worker(peer_name, tok_dir, conn):
    """Child process: builds the peer once, then answers one corpus line per request."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    eos = eos_id(tokenizer, tok_dir)
    peer = PEERS[peer_name](tok_dir, tokenizer, eos)
    conn.send("ready")
    while True:
        case = conn.recv()
        if case is None:
            return
        conn.send(run_case(peer, tokenizer, eos, case))


def run_case(peer, tokenizer, eos, case):
    start = time.perf_counter_ns()
    try:
        compiled, error = peer.compile(case["schema"]), None
    except Exception as e:  # noqa: BLE001  (a refusal is a result, not a crash)
        compiled, error = None, (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
    compile_us = round((time.perf_counter_ns() - start) / 1000, 1)
    result = {"compiled": compiled is not None, "error": error, "compile_us": compile_us, "tests": []}
    if compiled is not None:
        for test in case["tests"]:
            ids = tokenizer.encode(test["text"], add_special_tokens=False).ids
            result["tests"].append(peer.run(compiled, ids, eos))
    return result


class Worker:
    """A peer in a child process, so that a schema that never finishes costs a timeout only."""

    def __init__(self, peer, tok_dir):
        self.args = (peer, tok_dir)
        self.start()

    def start(self):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker, args=(*self.args, child), daemon=True)
        self.proc.start()
        if not self.conn.poll(600) or self.conn.recv() != "ready":
            sys.exit("%s: the peer did not start" % self.args[0])

    def run(self, case, timeout):
        self.conn.send(case)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        self.proc.kill()
        self.proc.join()
        self.start()
        return {"compiled": False, "error": "no result within %g s (process killed)" % timeout,
                "compile_us": timeout * 1e6, "tests": []}

    def close(self):
        self.conn.send(None)
        self.proc.join(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", choices=sorted(PEERS), required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True, help="directory with tokenizer.json and tokenizer_config.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0, help="only the first N corpus lines (0: all)")
    ap.add_argument("--timeout", type=float, default=60,
                    help="seconds per schema (compile and all its tests); past it the schema counts as "
                         "not compiled")
    args = ap.parse_args()

    peer = Worker(args.peer, args.tokenizer)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    started = time.time()
    with open(args.corpus, encoding="utf-8") as f, open(args.out, "w", encoding="utf-8") as out:
        for n, raw in enumerate(f):
            if args.limit and n >= args.limit:
                break
            out.write(json.dumps(peer.run(json.loads(raw), args.timeout)) + "\n")
            out.flush()
            if (n + 1) % 100 == 0:
                print("%s: %d schemas, %.0fs" % (args.peer, n + 1, time.time() - started), file=sys.stderr)
    peer.close()


if __name__ == "__main__":
    main()
