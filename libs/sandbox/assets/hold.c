/*
 * Quarantine's entrypoint wrapper, copied into each sandbox as /.quarantine/hold.
 *
 * It stops itself (SIGSTOP) so the probe on the host can attach before the image's own
 * entrypoint runs; after SIGCONT it execs the entrypoint with the image's PATH lookup, so the
 * probe sees the entrypoint's execve as the first event. PID 1 is docker-init (--init), which
 * ignores stop signals itself but lets this child stop.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("quarantine-hold: no entrypoint given\n", stderr);
    return 127;
  }
  if (raise(SIGSTOP) != 0) return 126;
  execvp(argv[1], argv + 1);
  fprintf(stderr, "quarantine-hold: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}
