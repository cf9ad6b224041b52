/* The harmless program the network simulator serves for binary-looking downloads: it says what it
 * is and exits 0, so a download -> chmod +x -> exec chain runs to its end and is seen. Freestanding
 * (no libc), static, x86-64 Linux syscalls only. */
static long netsim_syscall3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
void _start(void) {
  static const char text[] = "quarantine-netsim: simulated payload (harmless)\n";
  netsim_syscall3(1 /* write */, 1, (long)text, sizeof text - 1);
  netsim_syscall3(60 /* exit */, 0, 0, 0);
  for (;;) {
  }
}
