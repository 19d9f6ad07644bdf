#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (docs/reliability.md, "Fuzzing") with lfm-fuzz, the
# seeded in-process mutator (Sources/LFMFuzz), built in release mode under AddressSanitizer,
# then under UndefinedBehaviorSanitizer when the Swift toolchain supports it for this target.
#
# Usage: scripts/fuzz.sh [ITERATIONS]      (default 1000000 executions per target)
# Environment: SEED (default 1), TARGETS (default: all), FUZZ_TIMEOUT (seconds per input, 5).
# A crash or hang leaves its input in .fuzz-artifacts/<sanitizer>/ and fails the script; add
# it to Tests/Fixtures/fuzz/<target>/ as a regression once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
iterations=${1:-1000000}
seed=${SEED:-1}
targets=${TARGETS:-json jinja gguf safetensors pyliteral}
timeout_s=${FUZZ_TIMEOUT:-5}
lock=${SWIFT_BUILD_LOCK:-/tmp/swift-build.lock}
# Leak checking is off: the Swift runtime's metadata caches read as leaks at exit.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

locked() { if command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi; }

fuzz_with() {
    local sanitizer=$1 scratch=.build-$2
    local build=(swift build -c release --sanitize="$sanitizer" --product lfm-fuzz --scratch-path "$scratch")
    echo "== building lfm-fuzz (release, --sanitize=$sanitizer) in $scratch"
    locked "${build[@]}"
    local bin
    bin="$("${build[@]}" --show-bin-path)/lfm-fuzz"
    local artifacts=".fuzz-artifacts/$sanitizer"
    mkdir -p "$artifacts"
    for t in $targets; do
        echo "== $sanitizer: $t, $iterations executions, seed $seed"
        local start=$SECONDS
        locked "$bin" --target "$t" --iterations "$iterations" --seed "$seed" --timeout "$timeout_s" \
            --corpus "Tests/Fixtures/fuzz/$t" --artifacts "$artifacts" | tail -n 1
        echo "   ($((SECONDS - start)) s wall)"
    done
}

fuzz_with address asan

probe=$(mktemp -d)
echo 'print(1)' > "$probe/p.swift"
if swiftc -sanitize=undefined "$probe/p.swift" -o "$probe/p" >"$probe/log" 2>&1; then
    fuzz_with undefined ubsan
else
    echo "== UndefinedBehaviorSanitizer: not supported by this toolchain for Swift code: $(head -n 1 "$probe/log")"
    echo "   (Swift's own overflow, bounds and exclusivity checks stay on in these modules' checked builds.)"
fi
rm -rf "$probe"
