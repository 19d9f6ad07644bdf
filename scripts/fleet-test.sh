#!/usr/bin/env bash
# Local fleet test (docs/reliability.md): 2 lfm-serve replicas (release build, tiny fixture model)
# on loopback behind HAProxy, continuous streaming load from scripts/loadgen.py; a rolling
# restart (SIGTERM each replica in turn), a SIGKILL mid-load, and round-robin vs prefix-affine
# routing. Every phase is bounded in time; all traffic goes to 127.0.0.1.
#
#   scripts/fleet-test.sh [--scenarios rolling,kill,prefix] [--json out.json] [other fleet_test.py options]
#
# Needs haproxy (Debian: apt-get install -y haproxy). Builds .build/release/lfm-serve if missing
# (LFM_SERVE_BIN overrides the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
if ! command -v haproxy >/dev/null 2>&1; then
  echo "fleet-test: haproxy not found (Debian: apt-get install -y haproxy)" >&2
  exit 1
fi
bin="${LFM_SERVE_BIN:-.build/release/lfm-serve}"
if [ ! -x "$bin" ]; then
  flock /tmp/swift-build.lock swift build -c release --product lfm-serve
fi
exec timeout 1800 python3 scripts/fleet_test.py --bin "$bin" "$@"
