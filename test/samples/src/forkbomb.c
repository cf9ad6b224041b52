/* Abusive: fork bomb. Every process forks endlessly; when fork fails (pids limit) it backs off
 * 10 ms and tries again, so the storm lasts until the sandbox is killed. */
#include "common.h"
#include <time.h>
int main(void) {
  SAY("forkbomb: starting");
  struct timespec backoff = { 0, 10 * 1000 * 1000 };
  for (;;) {
    if (fork() < 0) nanosleep(&backoff, NULL);
  }
}
