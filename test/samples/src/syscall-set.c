/* Benign: makes a few syscalls the ebpf probe's event table does not trace (getcwd, uname,
 * sysinfo, getpriority, times) through raw syscall(2), so a test can check that the probe's
 * syscall set (the C record, docs/hardening.md) holds calls it has no events for. */
#include "common.h"
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <sys/times.h>

int main(void) {
  char cwd[256];
  struct utsname u;
  struct sysinfo si;
  struct tms t;
  long a = syscall(SYS_getcwd, cwd, sizeof cwd);
  long b = syscall(SYS_uname, &u);
  long c = syscall(SYS_sysinfo, &si);
  long d = syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0);
  long e = syscall(SYS_times, &t);
  SAY("syscall-set: getcwd %ld uname %ld sysinfo %ld getpriority %ld times %s", a, b, c, d, e == -1 ? "failed" : "ok");
  return 0;
}
