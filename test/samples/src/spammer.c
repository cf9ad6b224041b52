/* Abusive: writes to stdout endlessly (log flooding). */
#include "common.h"
int main(void) {
  static char line[4096];
  unsigned long long n = 0;
  for (;;) {
    int len = snprintf(line, sizeof line, "spammer line %llu: ", n++);
    memset(line + len, 'A', 200);
    line[len + 200] = '\n';
    if (write(1, line, (size_t)len + 201) < 0 && errno == EPIPE) return 1;
  }
}
