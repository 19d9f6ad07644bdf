#!/usr/bin/env bash
# Runs lm-evaluation-harness against lfm-serve: its `local-completions` model type sends
# log-likelihood requests (/v1/completions with prompt token ids, echo, logprobs 1, max_tokens 1)
# for a tiny multiple-choice task shipped as a fixture (Tests/Fixtures/lm-eval/), on the tiny-chat
# fixture model. Then, when torch and transformers are importable, recomputes every scored
# continuation with transformers (scripts/lm_eval_check.py) and reports the largest difference.
#
# lm_eval is heavy (datasets, pyarrow, scikit-learn, ...), so it is NOT part of the CI test
# requirements: this script makes its own venv (.venv-lm-eval, reusing the system's packages such
# as an installed transformers for the tokenizer). CI replays lm-eval's exact request shape instead
# (Tests/APITests/test_prompt_logprobs.py). Usage:
#   scripts/lm-eval.sh [MODEL_DIR]        (default Tests/Fixtures/models/tiny-chat)
# Env: LFM_SERVE_BIN (default: release build), LM_EVAL_VERSION (default 0.4.13).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
model="${1:-Tests/Fixtures/models/tiny-chat}"
version="${LM_EVAL_VERSION:-0.4.13}"
venv=.venv-lm-eval

if [ ! -x "$venv/bin/lm_eval" ]; then
  python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "lm_eval[api]==$version"
fi
# The huggingface tokenizer backend needs transformers (tokenizers only, no torch).
"$venv/bin/python" -c "import transformers" 2>/dev/null || "$venv/bin/pip" install --quiet transformers

bin="${LFM_SERVE_BIN:-}"
if [ -z "$bin" ]; then
  swift build -c release --product lfm-serve
  bin="$(swift build -c release --show-bin-path)/lfm-serve"
fi

out="$(mktemp -d)"
"$bin" serve --model "$model" --port 0 --threads 2 --kv-cache-dtype f32 >"$out/stdout" 2>"$out/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 600); do
  port="$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$out/stdout" | head -1)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$out/server.log"; echo "server did not start" >&2; exit 1; }

HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 "$venv/bin/lm_eval" --model local-completions \
  --model_args "model=$(basename "$model"),base_url=http://127.0.0.1:$port/v1/completions,tokenizer_backend=huggingface,tokenizer=$model,num_concurrent=1,max_retries=1,tokenized_requests=True" \
  --tasks lfm_tiny_mc --include_path Tests/Fixtures/lm-eval --output_path "$out/results" --log_samples --seed 1234

if "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
  "$venv/bin/python" scripts/lm_eval_check.py "$model" "$out/results"
fi
