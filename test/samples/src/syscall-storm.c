/* Benign but syscall-heavy: the probe-overhead benchmark's workload. Opens, reads and closes its
 * own file under /tmp, stats it and asks for its pid, ITERATIONS times (5 syscalls each), then
 * forks a few short-lived children, and prints how long the work took inside the sandbox. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 40000;
  const char *path = "/tmp/storm.dat";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "storm\n", 6) != 6) { WARN("prepare"); return 1; }
  close(fd);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char buf[16];
  struct stat st;
  for (long i = 0; i < iterations; i++) {
    fd = open(path, O_RDONLY);
    if (fd < 0) { WARN("open"); return 1; }
    if (read(fd, buf, sizeof buf) < 0) { WARN("read"); return 1; }
    close(fd);
    if (stat(path, &st) != 0) { WARN("stat"); return 1; }
    if (getppid() < 0) return 1;
  }
  for (int c = 0; c < 8; c++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p > 0) waitpid(p, NULL, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  unlink(path);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  SAY("syscall-storm: %ld iterations (%ld syscalls) in %.1f ms", iterations, iterations * 5, ms);
  return 0;
}
