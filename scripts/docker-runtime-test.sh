#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage without a container engine: builds the binary the
# way the build stage does (--static-swift-stdlib), assembles the runtime filesystem with
# debootstrap (same Debian release and the same apt packages, read from the Dockerfile),
# adds the binary, the config file and the user exactly as the Dockerfile does, checks with
# ldd inside that root that every shared library resolves, then starts the server under
# chroot as the unprivileged user with the image's environment and talks to it from outside:
# /health, a chat completion, SIGTERM → exit 0.
#
# Needs root (debootstrap, chroot, mounting /proc) and deb.debian.org. Without them it says
# so and exits 0 (SKIPPED), so CI on a machine without them stays meaningful.
# Usage: scripts/docker-runtime-test.sh [--keep]     (LFM_ROOTFS_CACHE=dir reuses a rootfs)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

skip() { echo "docker-runtime-test: SKIPPED: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mount)"
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 || skip "cannot install debootstrap"
fi

# What the Dockerfile says about the runtime stage.
suite=$(sed -n 's/^FROM debian:\([a-z]*\)-slim.*/\1/p' Dockerfile)
packages=$(awk '/^FROM debian:/{rt=1} rt && /apt-get install/{for(i=1;i<=NF;i++) if($i ~ /^[a-z0-9][a-z0-9.+-]*$/ && $i!="apt-get" && $i!="install" && $i!="RUN" && $i!="update" && $i!="rm") print $i; exit}' Dockerfile \
  | tr '\n' ',' | sed 's/,$//')
uid=$(sed -n 's/.*useradd --system --uid \([0-9]*\).*/\1/p' Dockerfile)
[ -n "$suite" ] && [ -n "$packages" ] && [ -n "$uid" ] || { echo "cannot read the runtime stage from Dockerfile"; exit 1; }
echo "runtime stage: debian $suite + [$packages], user uid $uid"

# The binary, as the build stage makes it (debug configuration: same link, faster to build).
# A separate build folder: objects compiled for a static Swift runtime must not mix with the
# test build's.
scratch=.build-static
swift build --scratch-path "$scratch" --static-swift-stdlib --product lfm-serve 2>&1 | tail -1
bin="$(swift build --scratch-path "$scratch" --show-bin-path)/lfm-serve"

root="${LFM_ROOTFS_CACHE:-$(mktemp -d /tmp/lfm-rootfs.XXXXXX)}"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  if [ "${1:-}" != keep ] && [ -z "${LFM_ROOTFS_CACHE:-}" ]; then rm -rf "$root"; fi
}
trap cleanup EXIT
chmod 755 "$root"   # mktemp makes it 0700; the unprivileged user must traverse /
if [ ! -x "$root/bin/bash" ]; then
  echo "debootstrap $suite into $root (minbase + $packages) …"
  debootstrap --variant=minbase --include="$packages" "$suite" "$root" http://deb.debian.org/debian >"$root.log" 2>&1 \
    || { tail -20 "$root.log"; echo "debootstrap failed"; exit 1; }
fi

# The Dockerfile's RUN/COPY lines, applied to the root.
chroot "$root" id lfm >/dev/null 2>&1 || chroot "$root" useradd --system --uid "$uid" --home /nonexistent --shell /usr/sbin/nologin lfm
mkdir -p "$root/models" "$root/etc/lfm-serve"
chroot "$root" chown lfm /models
install -m 755 "$bin" "$root/usr/local/bin/lfm-serve"
cp config/lfm-serve.json "$root/etc/lfm-serve/lfm-serve.json"
rm -rf "$root/models/tiny-chat" && cp -r Tests/Fixtures/models/tiny-chat "$root/models/tiny-chat"
chmod -R a+rX "$root/models/tiny-chat"
mount -t proc proc "$root/proc" || skip "cannot mount /proc in the chroot"

echo "== shared libraries of the binary, resolved inside the runtime root"
chroot "$root" ldd /usr/local/bin/lfm-serve | tee /tmp/lfm-ldd.txt
if grep -q "not found" /tmp/lfm-ldd.txt; then echo "FAIL: a library is missing from the runtime stage"; exit 1; fi
if grep -q "libswift\|libFoundation\|libdispatch" /tmp/lfm-ldd.txt; then echo "FAIL: Swift runtime linked dynamically"; exit 1; fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== server under chroot as uid $uid on port $port"
chroot --userspec="$uid:$uid" "$root" /usr/bin/env -i HOME=/nonexistent HF_HOME=/models/huggingface \
  LFM_SERVE_HOST=127.0.0.1 LFM_SERVE_PORT="$port" LFM_SERVE_MODEL=/models/tiny-chat LFM_SERVE_CONFIG=/etc/lfm-serve/lfm-serve.json \
  LFM_SERVE_THREADS=2 /usr/local/bin/lfm-serve serve >/tmp/lfm-chroot.out 2>/tmp/lfm-chroot.err &
server_pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat /tmp/lfm-chroot.err; echo "FAIL: server exited"; exit 1; }
  sleep 0.1
done
health=$(curl -s "http://127.0.0.1:$port/health")
echo "GET /health → $health"
[ "$health" = '{"status":"ok"}' ] || { cat /tmp/lfm-chroot.err; echo "FAIL: health"; exit 1; }
reply=$(curl -s "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Hello from the runtime stage"}],"max_tokens":8}')
echo "POST /v1/chat/completions → ${reply:0:200}…"
echo "$reply" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["object"]=="chat.completion" and r["usage"]["completion_tokens"]>0' \
  || { echo "FAIL: chat completion"; exit 1; }
owner=$(ps -o user= -p "$server_pid" 2>/dev/null | tr -d ' ' || true)
echo "server process owner: ${owner:-?} (uid $(ps -o uid= -p "$server_pid" | tr -d ' '))"
[ "$(ps -o uid= -p "$server_pid" | tr -d ' ')" = "$uid" ] || { echo "FAIL: not running as uid $uid"; exit 1; }
kill -TERM "$server_pid"
status=0; wait "$server_pid" || status=$?
server_pid=""
echo "SIGTERM → exit status $status"
[ "$status" = 0 ] || { cat /tmp/lfm-chroot.err; exit 1; }
echo "docker-runtime-test: PASSED (runtime root $(du -sh --exclude=proc "$root" 2>/dev/null | cut -f1), binary $(du -h "$bin" | cut -f1))"
[ "${1:-}" = --keep ] && trap 'cleanup keep' EXIT
exit 0
