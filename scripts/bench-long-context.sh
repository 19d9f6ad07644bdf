#!/usr/bin/env bash
# Long-prompt benchmark of docs/benchmarks.md (issue: attention at the hardware limit): lfm-serve
# and llama.cpp on the same LFM2-350M-shaped Q8_0 file, same threads, one after the other.
#
#   LLAMA_BIN=/path/to/llama.cpp/build/bin [PP="4096 16384"] [DEPTH=16384] [PERHEAD=0] [LLAMA_PP=0] \
#     scripts/bench-long-context.sh [MODEL] [THREADS] [ROUNDS]
#
# Per round and prompt length N in $PP: lfm-serve bench ppN with the tiled kernel and with the
# first (per-head) kernel, and llama-bench -p N; then decode at depth: lfm-serve tg64 at $DEPTH
# (both kernels) and llama-bench -n 64 -d $DEPTH. Peak RSS of every process by /usr/bin/time.
# PERHEAD=0 skips the per-head kernel's runs, LLAMA_PP=0 llama-bench's ppN runs (e.g. when they
# were taken earlier in the same session).
# Raw output in bench-out/long-*.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-/work/bench-models/lfm2-350m-shape-q8_0.gguf}"
threads="${2:-2}"
rounds="${3:-1}"
llb="${LLAMA_BIN:?set LLAMA_BIN to the folder holding llama-bench}"
export LD_LIBRARY_PATH="$llb${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
lfm=.build/release/lfm-serve
out=bench-out
mkdir -p "$out"
run() {   # name, command...: appends "name <json or last line> peak_rss_kib" to the log
  local name="$1"; shift
  /usr/bin/time -f "%M" -o "$out/long-rss.tmp" "$@" > "$out/long-$name.out" 2> "$out/long-$name.err" || true
  echo "$name $(tail -1 "$out/long-$name.out" | tr -d '\n') rss_kib=$(tail -1 "$out/long-rss.tmp")" | tee -a "$out/long-results.txt"
}
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')" | tee -a "$out/long-results.txt"
pps="${PP:-4096 16384}"
depth="${DEPTH:-16384}"
for r in $(seq "$rounds"); do
  for n in $pps; do
    run "lfm-pp$n-tiled" "$lfm" bench --model "$model" --threads "$threads" --repetitions 1 --prompt-tokens "$n" --gen-tokens 0 --json
    [ "${PERHEAD:-1}" = 0 ] || run "lfm-pp$n-perhead" "$lfm" bench --model "$model" --threads "$threads" --repetitions 1 --prompt-tokens "$n" --gen-tokens 0 --attention per-head --json
    [ "${LLAMA_PP:-1}" = 0 ] || run "llama-pp$n" "$llb/llama-bench" -m "$model" -t "$threads" -p "$n" -n 0 -r 1 -o jsonl
  done
  run "lfm-tg64-d$depth-tiled" "$lfm" bench --model "$model" --threads "$threads" --repetitions 1 --prompt-tokens 1 --gen-tokens 64 --depth "$depth" --json
  [ "${PERHEAD:-1}" = 0 ] || run "lfm-tg64-d$depth-perhead" "$lfm" bench --model "$model" --threads "$threads" --repetitions 1 --prompt-tokens 1 --gen-tokens 64 --depth "$depth" --attention per-head --json
  run "llama-tg64-d$depth" "$llb/llama-bench" -m "$model" -t "$threads" -p 0 -n 64 -d "$depth" -r 1 -o jsonl
  echo "# round $r done $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')" | tee -a "$out/long-results.txt"
done
