#!/usr/bin/env bash
# Builds the sandbox's static helper (dist/assets/hold) and its tarball for putArchive.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist/assets/stage/.quarantine
src=libs/sandbox/assets/hold.c
out=dist/assets/hold
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  gcc -static -Os -s -o "$out" "$src"
fi
cp "$out" dist/assets/stage/.quarantine/hold
chmod 0755 dist/assets/stage/.quarantine dist/assets/stage/.quarantine/hold
tar --owner=0 --group=0 --numeric-owner -C dist/assets/stage -cf dist/assets/hold.tar .quarantine
