/*
 * Abusive: fills its root filesystem. Writes zeros to /disk-fill.bin in 1 MiB chunks until a write
 * fails (the sandbox's disk limit: EDQUOT or ENOSPC), prints how much it wrote, how fast and why it
 * stopped, keeps running for a moment (a writer that hit a limit does not always exit), then exits 0.
 * `disk-fill N` stops after N MiB (0 or no argument: until a write fails); the image runs `disk-fill 1024`,
 * a safety net so that a host without a disk limit loses at most 1 GiB to a test.
 */
#include "common.h"
#include <fcntl.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  static char chunk[1u << 20]; /* zeros */
  long max_mib = argc > 1 ? atol(argv[1]) : 0;
  int fd = open("/disk-fill.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { WARN("open /disk-fill.bin"); return 1; }
  double t0 = now_s();
  unsigned long long total = 0;
  int err = 0;
  for (;;) {
    if (max_mib > 0 && total >= (unsigned long long)max_mib << 20) break;
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n < 0) { if (errno == EINTR) continue; err = errno; break; }
    if (n == 0) { err = ENOSPC; break; }
    total += (unsigned long long)n;
  }
  /* Buffered data may only meet the limit when it reaches the disk. */
  if (fsync(fd) < 0 && !err) err = errno;
  double secs = now_s() - t0;
  SAY("disk-fill: wrote %llu MiB in %.3f s (%.0f MiB/s); stopped by %s",
      total >> 20, secs, secs > 0 ? (total >> 20) / secs : 0.0, err ? strerror(err) : "its own limit");
  close(fd);
  usleep(500 * 1000);
  return 0;
}
