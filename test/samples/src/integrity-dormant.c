/* Malicious, time-evasive: sleeps past a sandbox's observation window (argv[1] seconds, default
 * 600) in one nanosleep, then reads /etc/shadow (T1497.003 then T1003.008). Built as two images:
 * integrity-nap (4 s: caught when the window is extended) and integrity-dormant (600 s: still
 * asleep at the maximum window, so the run is inconclusive, "dormant at window end"). */
#include "common.h"
#include <fcntl.h>
#include <time.h>
int main(int argc, char **argv) {
  long secs = argc > 1 ? atol(argv[1]) : 600;
  SAY("integrity-dormant: sleeping %ld s before acting", secs);
  struct timespec t = { .tv_sec = secs, .tv_nsec = 0 };
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
  int fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) { WARN("open /etc/shadow"); return 1; }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  SAY("integrity-dormant: read %zd bytes of /etc/shadow", n);
  return 0;
}
