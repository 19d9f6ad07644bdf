#!/usr/bin/env python3
"""Generate the tokenizer spec vectors for LFMTokenizer's `TokenizerTests.specVectors`
with the reference `tokenizers` library.

Usage (needs `pip install tokenizers`; no network):
    python3 scripts/make_tokenizer_spec_vectors.py

Writes Tests/Fixtures/tokenizer-spec-vectors.jsonl: one {"text": ..., "ids": [...]} a line,
where `ids` is encode(text, add_special_tokens=False) with the LFM2 tokenizer in
Tests/Fixtures/lfm2-tokenizer. The script checks what the test also checks: with special
tokens the ids are [1] + ids (BOS), and decode(ids) gives the text back.
The texts are a few hand-picked cases (contractions, digits split in threes, non-ASCII,
whitespace runs, special tokens inside text); the bulk comparison is
scripts/make_tokenizer_goldens.py.
"""
import json
import os

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOK = os.path.join(ROOT, "Tests/Fixtures/lfm2-tokenizer/tokenizer.json")
OUT = os.path.join(ROOT, "Tests/Fixtures/tokenizer-spec-vectors.jsonl")

TEXTS = [
    "Hello world",
    "What is C. elegans?",
    " pythonic python",
    "12345 3.14159",
    "naïve café 東京 🚀",
    "I've  got\n\n  spaces\t\ttabs",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "<|tool_call_start|>[f(a=1)]<|tool_call_end|>",
]


def main():
    tok = Tokenizer.from_file(TOK)
    vectors = []
    for text in TEXTS:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert tok.encode(text).ids == [1] + ids, text
        assert tok.decode(ids, skip_special_tokens=False) == text, text
        vectors.append({"text": text, "ids": ids})
    with open(OUT, "w", encoding="utf-8") as f:
        for v in vectors:
            f.write(json.dumps(v, ensure_ascii=False) + "\n")
    print(f"wrote {len(vectors)} vectors to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
