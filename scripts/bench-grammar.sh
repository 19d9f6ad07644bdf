#!/usr/bin/env bash
# Structured outputs benchmark (issue 15): runs `lfm-serve grammar-check` and the two peers
# (llguidance, xgrammar; scripts/grammar_peers.py — llguidance also in its lenient mode, which
# ignores unimplemented keywords: a check that the corpus' exclusions cover what it then accepts) on the committed schema corpus with the real
# LFM2 tokenizer, one after the other on the same machine, then prints the comparison table
# (scripts/grammar_report.py). Results go to bench-out/ (gitignored).
#
#   scripts/bench-grammar.sh [--bin PATH/lfm-serve] [--model DIR] [--venv DIR] [--corpus FILE] [--skip-peers]
#                            [--peers "llguidance llguidance-lenient xgrammar"]
#
# --bin: an lfm-serve binary; without it a release build is made (under the shared build lock).
# --model: what grammar-check loads the LFM2 vocabulary from (default: the tokenizer fixture, the
#          same tokenizer.json the peers use).
# --peers: which peers to run (default all three; the others' earlier results in bench-out/ are
#          reported if present, e.g. xgrammar's, whose run takes ~17 minutes here).
# --venv: the peers' venv (default /work/venv-peers; made from scripts/requirements-grammar-bench.txt
#         when missing). --skip-peers reuses bench-out/grammar-{llguidance,llguidance-lenient,xgrammar}.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="" model="Tests/Fixtures/lfm2-tokenizer" venv="/work/venv-peers" corpus="Tests/Fixtures/grammar/schema-corpus.jsonl" skip_peers=0 peers="llguidance llguidance-lenient xgrammar"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --venv) venv="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    --skip-peers) skip_peers=1; shift ;;
    --peers) peers="$2"; shift 2 ;;
    *) echo "bench-grammar.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
tok="Tests/Fixtures/lfm2-tokenizer"
out="bench-out"
mkdir -p "$out"

if [ -z "$bin" ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
  flock /tmp/swift-build.lock swift build -c release --product lfm-serve
  bin="$(swift build -c release --show-bin-path)/lfm-serve"
fi
[ -x "$bin" ] || { echo "bench-grammar.sh: $bin is not an executable" >&2; exit 2; }

echo "== lfm-serve grammar-check" >&2
"$bin" grammar-check --model "$model" --input "$corpus" > "$out/grammar-lfm-serve.jsonl"

if [ "$skip_peers" = 0 ]; then
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-grammar-bench.txt
  fi
  for peer in $peers; do
    echo "== $peer" >&2
    rm -f "$out/grammar-$peer.jsonl"
    # A peer that fails is left out of the table (its log says why); the others still report.
    if ! "$venv/bin/python" scripts/grammar_peers.py --peer "$peer" --corpus "$corpus" --tokenizer "$tok" \
      --out "$out/grammar-$peer.jsonl.part" 2> "$out/grammar-$peer.log"; then
      echo "bench-grammar.sh: $peer failed (see $out/grammar-$peer.log); left out of the table" >&2
      continue
    fi
    mv "$out/grammar-$peer.jsonl.part" "$out/grammar-$peer.jsonl"
  done
fi

results=(lfm-serve="$out/grammar-lfm-serve.jsonl")
for peer in llguidance llguidance-lenient xgrammar; do
  [ -f "$out/grammar-$peer.jsonl" ] && results+=("$peer=$out/grammar-$peer.jsonl")
done
python3 scripts/grammar_report.py "$corpus" "${results[@]}" --details | tee "$out/grammar-report.md"
