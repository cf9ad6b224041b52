/* Abusive: allocates and touches memory, 4 MiB at a time, until the memory limit kills it. */
#include "common.h"
int main(void) {
  size_t chunk = 4u << 20, total = 0;
  for (;;) {
    char *p = malloc(chunk);
    if (!p) { usleep(1000); continue; }
    memset(p, 0xA5, chunk);
    total += chunk;
    if (total % (16u << 20) == 0) SAY("memhog: %zu MiB touched", total >> 20);
  }
}
