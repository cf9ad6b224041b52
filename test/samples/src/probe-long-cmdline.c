/* Evasive: turns shell history off (T1070.003) in a `sh -c` script whose first 1,200 bytes are
 * padding, so a probe that cuts argv strings (strace -s 1024, bpftrace's 127 bytes) sees only
 * the padding. Nothing else happens: what a probe cannot see must make the run inconclusive. */
#include "common.h"

int main(void) {
  static char script[2048];
  size_t n = 0;
  script[n++] = ':'; script[n++] = ' ';
  while (n < 1200) script[n++] = 'x';
  snprintf(script + n, sizeof script - n, "; unset HISTFILE; echo probe-long-cmdline: history off");
  char *argv[] = { "sh", "-c", script, NULL };
  execv("/bin/sh", argv);
  WARN("execv /bin/sh");
  return 1;
}
