#!/usr/bin/env bash
# ThreadSanitizer run of the engine (LFMRuntimeTests) and HTTP server (HTTPServerTests) suites
# (docs/reliability.md). Usage: scripts/tsan.sh [extra swift test args]
# Builds in its own scratch path so it never disturbs the normal .build. Every data race TSan
# reports fails the run (halt_on_error) and is printed with both stacks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
scratch=.build-tsan
lock=${SWIFT_BUILD_LOCK:-/tmp/swift-build.lock}
build=(swift build --build-tests --sanitize=thread --scratch-path "$scratch")
if command -v flock >/dev/null; then flock "$lock" "${build[@]}"; else "${build[@]}"; fi
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
timeout 1800 swift test --skip-build --sanitize=thread --scratch-path "$scratch" \
    --filter 'LFMRuntimeTests\.|HTTPServerTests\.' "$@"
