#!/usr/bin/env bash
# The project's test command (README, CI): build once, run the Swift test suite, check the
# command line against the transformers goldens, then the HTTP API with the openai SDK
# and the Hub download against a mock Hub, and the structured-output schema corpus' integrity
# (needs: pip install openai pytest prometheus_client pyyaml huggingface_hub jsonschema).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests
# Hard time limits: a hung test must fail the run, not stall CI.
timeout 1500 swift test --skip-build "$@"

# CLI: greedy chat completion equals transformers' greedy generation (tiny-chat fixture).
bin="$(swift build --show-bin-path)/lfm-serve"
got=$(timeout 300 "$bin" complete --model Tests/Fixtures/models/tiny-chat --prompt "Hello!" --chat --temperature 0 \
      --max-tokens 32 --ignore-eos --json --threads 2)
python3 - "$got" <<'PY'
import json, sys
got = json.loads(sys.argv[1])
ref = json.load(open("Tests/Fixtures/models/goldens/tiny-chat.json"))
assert got["prompt_ids"] == ref["prompts"][0], (got["prompt_ids"], ref["prompts"][0])
assert got["ids"] == ref["greedy"][0], (got["ids"], ref["greedy"][0])
assert len(got["logprobs"]) == 32 and all(lp <= 0 for lp in got["logprobs"])
print("CLI greedy chat completion matches transformers")
PY

# The OpenAI-compatible API through the official openai SDK against real server processes.
LFM_SERVE_BIN="$bin" timeout 1200 python3 -m pytest -q Tests/APITests
LFM_SERVE_BIN="$bin" timeout 600 python3 -m pytest -q Tests/HubTests
# The committed JSON Schema corpus for grammar-constrained decoding (no server, no network).
timeout 300 python3 -m pytest -q Tests/GrammarTests
