#!/usr/bin/env bash
# Captures the strace fixtures in this folder exactly as the worker traces a sample.
# Needs: root, docker, gcc (static glibc), strace 6.1, busybox-static, /tmp/proto/hold.tar
# (the stop-then-exec wrapper: raise(SIGSTOP); execvp(argv[1], argv+1), at /.quarantine/hold).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/mnt" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh cat echo ls cp chmod mkdir rm mv ln id true sleep; do ln -sf busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$work/rootfs/etc/passwd"
printf 'root:$6$fixture$notarealhash:19000:0:99999:7:::\n' > "$work/rootfs/etc/shadow"
chmod 600 "$work/rootfs/etc/shadow"
for c in "$here"/src/*.c; do
  n=$(basename "$c" .c)
  gcc -static -O1 -pthread -o "$work/rootfs/bin/$n" "$c"
done
tar -C "$work/rootfs" -c . | docker import - qfix:latest >/dev/null

# The strace command line the worker uses (see probes/README.md).
STRACE_FLAGS=(-f -q --absolute-timestamps=unix,us -s 4096 -v -yy --decode-pids=pidns
  -e 'trace=!brk,arch_prctl,set_tid_address,set_robust_list,rseq,prlimit64,rt_sigaction,rt_sigprocmask,rt_sigreturn,sigaltstack,futex,getrandom,clock_gettime,clock_nanosleep,nanosleep,gettimeofday,getpid,gettid,getppid,getuid,geteuid,getgid,getegid,sched_yield,sched_getaffinity,madvise,membarrier,restart_syscall')

capture() { # name, command...
  local name=$1; shift
  local cid pid
  cid=$(docker create --init --network none --entrypoint /.quarantine/hold qfix:latest "$@")
  docker cp - "$cid:/" < /tmp/proto/hold.tar
  docker start "$cid" >/dev/null
  for _ in $(seq 50); do
    pid=$(docker top "$cid" -o pid,args | awk '$2=="/.quarantine/hold"{print $1}')
    [ -n "$pid" ] && grep -q '^State:.*T' "/proc/$pid/status" && break
    sleep 0.1
  done
  strace "${STRACE_FLAGS[@]}" -o "$here/$name.strace" -p "$pid" 2>"$work/$name.err" &
  local sp=$!
  sleep 0.5
  kill -CONT "$pid"
  wait "$sp" || true
  docker rm -f "$cid" >/dev/null
  # Make timestamps/host pids the only host-specific data; nothing else is rewritten.
  echo "$name: $(wc -l < "$here/$name.strace") lines, $(stat -c %s "$here/$name.strace") bytes"
}

capture readshadow /bin/readshadow
capture revshell /bin/revshell
capture memfdexec /bin/memfdexec
capture forker /bin/forker
capture escape /bin/escape
capture busybox-drift /bin/sh -c 'echo owned > /etc/evil.conf; mkdir -p /etc/cron.d; cd /etc/cron.d; echo "* * * * * root sh" > job; cp /bin/busybox /tmp/dropper; chmod +x /tmp/dropper; /tmp/dropper echo drift; cd /tmp; ./dropper true; rm -f /etc/evil.conf; exit 7'
