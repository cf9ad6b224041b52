#!/usr/bin/env bash
# Captures the gVisor fixtures in this folder exactly as the `gvisor` probe records a sample.
# Needs: root, docker with the `runsc-trace` runtime registered by scripts/host-deps.sh (runsc
# --strace --debug --debug-command=boot --debug-log=/var/log/quarantine/runsc/), gcc (static glibc),
# busybox-static. Programs: ../src/*.c (the same sources as the strace fixtures) and src/*.c.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
logdir=${RUNSC_TRACE_DIR:-/var/log/quarantine/runsc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/mnt" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh cat echo ls cp chmod mkdir rm mv ln id true sleep; do ln -sf busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$work/rootfs/etc/passwd"
printf 'root:$6$fixture$notarealhash:19000:0:99999:7:::\n' > "$work/rootfs/etc/shadow"
chmod 600 "$work/rootfs/etc/shadow"
chmod 1777 "$work/rootfs/tmp"
for c in "$here"/../src/*.c "$here"/src/*.c; do
  gcc -static -O1 -pthread -o "$work/rootfs/bin/$(basename "$c" .c)" "$c"
done
tar -C "$work/rootfs" -c . | docker import - qfix-gvisor:latest >/dev/null

# The probe's line filter (GVISOR_TRACE_LINE in libs/sandbox/src/probes/gvisor.probe.ts, without its
# noise-syscall filter): syscall enter/exit lines, task exit and signal lines, drop notices, the end line.
keep='^[IWEDF][0-9]{4} [0-9:.]+ +[0-9]+ (strace|task_exit|task_signals)\.go:[0-9]+\] |\*\*\* Dropped [0-9]+ log messages|main\.go:[0-9]+\] Exiting with status'

capture() { # name, command...
  local name=$1; shift
  local cid log
  cid=$(docker create --runtime runsc-trace --init --network none --security-opt no-new-privileges qfix-gvisor:latest "$@")
  docker start "$cid" >/dev/null
  timeout 20 docker wait "$cid" >/dev/null || docker kill "$cid" >/dev/null
  for _ in $(seq 50); do
    log=$(grep -l -m1 "$cid" "$logdir"/runsc.log.*.boot.txt 2>/dev/null | head -1 || true)
    [ -n "$log" ] && grep -q 'Exiting with status' "$log" && break
    sleep 0.1
  done
  docker rm -f "$cid" >/dev/null
  local z off
  z=$(date +%z); off=$(( (10#${z:1:2} * 60 + 10#${z:3:2}) * ${z:0:1}1 ))
  { printf '# quarantine gvisor trace v1 container=%s year=%s utcOffsetMinutes=%s\n' "$cid" "$(date +%Y)" "$off"
    # …plus continuation lines (a path with a newline is printed raw) after a kept syscall line.
    KEEP="$keep" perl -ne 'if (/^[IWEDF]\d{4} \d\d:\d\d:\d\d\./) { $c = 0; if (/$ENV{KEEP}/) { print; $c = / strace\.go:/ } } elsif ($c) { print }' "$log"; } > "$here/$name.gvisor"
  rm -f "$log"
  echo "$name: $(wc -l < "$here/$name.gvisor") lines, $(stat -c %s "$here/$name.gvisor") bytes"
}

capture readshadow /bin/readshadow
capture revshell /bin/revshell
capture memfdexec /bin/memfdexec
capture forker /bin/forker
capture escape /bin/escape
capture busybox-drift /bin/sh -c 'echo owned > /etc/evil.conf; mkdir -p /etc/cron.d; cd /etc/cron.d; echo "* * * * * root sh" > job; cp /bin/busybox /tmp/dropper; chmod +x /tmp/dropper; /tmp/dropper echo drift; cd /tmp; ./dropper true; rm -f /etc/evil.conf; exit 7'
capture gvedge /bin/gvedge
capture sleeper-killed /bin/sh -c 'sleep 30' &
sleep 3; docker ps -q --filter ancestor=qfix-gvisor:latest | xargs -r docker kill >/dev/null
wait
