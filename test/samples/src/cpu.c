/* Benign: CPU-bound work for about one second, then exits 0. */
#include "common.h"
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(void) {
  double start = now();
  volatile unsigned long long acc = 0x9e3779b97f4a7c15ULL;
  unsigned long long rounds = 0;
  while (now() - start < 1.0) {
    for (int i = 0; i < 100000; i++) { acc ^= acc << 13; acc ^= acc >> 7; acc ^= acc << 17; }
    rounds++;
  }
  SAY("cpu: %llu rounds, checksum %llx", rounds, (unsigned long long)acc);
  return 0;
}
