/* Escape / privilege attempts; each fails or succeeds as Docker's defaults decide. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  ptrace(PTRACE_TRACEME, 0, NULL, NULL);
  ptrace(PTRACE_ATTACH, 1, NULL, NULL);
  mount("none", "/mnt", "tmpfs", 0, "size=1m");
  unshare(CLONE_NEWNS | CLONE_NEWUSER);
  int ns = open("/proc/1/ns/mnt", O_RDONLY);
  setns(ns, 0);
  syscall(SYS_init_module, NULL, 0, "");
  int ko = open("/tmp/x.ko", O_RDONLY | O_CREAT, 0600);
  syscall(SYS_finit_module, ko, "", 0);
  syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0);
  setgid(1000);
  setuid(1000);
  symlink("/etc/passwd", "/tmp/pw");
  link("/tmp/x.ko", "/tmp/y.ko");
  rename("/tmp/y.ko", "/tmp/z.ko");
  unlink("/tmp/z.ko");
  mkdir("/tmp/d\n\"x\"", 0755);
  chmod("/tmp/x.ko", 04755);
  creat("/tmp/created", 0644);
  return 0;
}
