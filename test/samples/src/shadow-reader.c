/* Malicious: credential access. Opens and reads /etc/shadow (T1003.008). */
#include "common.h"
#include <fcntl.h>
int main(void) {
  int fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) { WARN("open /etc/shadow"); return 1; }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) { WARN("read"); return 1; }
  SAY("shadow-reader: read %zd bytes of /etc/shadow", n);
  return 0;
}
