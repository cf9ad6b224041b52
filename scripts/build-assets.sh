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

# The planter (libs/sandbox/src/docker/planter.ts): files into a held sandbox from the host, without
# the engine's archive calls; the hold wrapper's directory is bind-mounted read-only instead of copied.
if [ ! -x dist/assets/plant ] || [ libs/sandbox/assets/plant.c -nt dist/assets/plant ]; then
  gcc -static -O2 -s -Wall -o dist/assets/plant libs/sandbox/assets/plant.c
fi

# The network simulator (issue 11, docs/network.md): its script, the harmless ELF it serves, a
# self-signed certificate for its TLS side, and the empty directory it chroots into.
sim=dist/assets/netsim
mkdir -p "$sim/root"
chmod 0555 "$sim/root"
cp libs/sandbox/assets/netsim/netsim.py "$sim/netsim.py"
if [ ! -f "$sim/payload.elf" ] || [ libs/sandbox/assets/netsim/payload.c -nt "$sim/payload.elf" ]; then
  gcc -static -nostdlib -Os -s -fno-stack-protector -fno-asynchronous-unwind-tables -o "$sim/payload.elf" libs/sandbox/assets/netsim/payload.c
fi
if [ ! -f "$sim/cert.pem" ] || [ ! -f "$sim/key.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout "$sim/key.pem" -out "$sim/cert.pem" 2>/dev/null
fi
chmod 0644 "$sim/netsim.py" "$sim/payload.elf" "$sim/cert.pem"
chmod 0600 "$sim/key.pem"
