#!/usr/bin/env bash
# The project's test command (README, CI). Installs the Python test packages into .venv-test
# (from Tests/requirements.txt), builds once and runs the Swift test suite (debug), then, with
# the release build users run: the fuzz targets, the command line against the transformers goldens, the HTTP API
# through the official SDKs against real server processes, the Hub download against a mock Hub,
# and the structured-output schema corpus' integrity.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/requirements.txt
py="$venv/bin/python"

swift build --build-tests
# Hard time limits: a hung test must fail the run, not stall CI.
timeout 1500 swift test --skip-build "$@"

# The integration tests run the build users run: release, with the same flags.
swift build -c release --product lfm-serve
bin="$(swift build -c release --show-bin-path)/lfm-serve"

# CLI: greedy chat completion equals transformers' greedy generation (tiny-chat fixture).
got=$(timeout 300 "$bin" complete --model Tests/Fixtures/models/tiny-chat --prompt "Hello!" --chat --temperature 0 \
      --max-tokens 32 --ignore-eos --json --threads 2)
"$py" - "$got" <<'PY'
import json, sys
got = json.loads(sys.argv[1])
ref = json.load(open("Tests/Fixtures/models/goldens/tiny-chat.json"))
assert got["prompt_ids"] == ref["prompts"][0], (got["prompt_ids"], ref["prompts"][0])
assert got["ids"] == ref["greedy"][0], (got["ids"], ref["greedy"][0])
assert len(got["logprobs"]) == 32 and all(lp <= 0 for lp in got["logprobs"])
print("CLI greedy chat completion matches transformers")
PY

# The fuzz targets (docs/reliability.md, "Fuzzing") with the release build of every parser: a
# short seeded run each (scripts/fuzz.sh runs 1M per target under AddressSanitizer).
swift build -c release --product lfm-fuzz
fuzz="$(swift build -c release --show-bin-path)/lfm-fuzz"
for t in json jinja gguf safetensors pyliteral; do
    timeout 300 "$fuzz" --target "$t" --iterations 50000 --seed 7 --timeout 10 --artifacts .fuzz-artifacts/ci | tail -n 1
done

# The OpenAI-compatible API through the official SDKs against real server processes.
LFM_SERVE_BIN="$bin" timeout 1500 "$py" -m pytest -q Tests/APITests
LFM_SERVE_BIN="$bin" timeout 600 "$py" -m pytest -q Tests/HubTests
# The committed JSON Schema corpus for grammar-constrained decoding and grammar-check against
# python jsonschema over it (no server, no network).
LFM_SERVE_BIN="$bin" timeout 600 "$py" -m pytest -q Tests/GrammarTests
