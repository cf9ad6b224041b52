/* Malicious: credential theft. Looks for the user's AWS credentials file (~/.aws/credentials) and
 * reads it, the way stealers and supply-chain implants do before sending keys out (T1552.001). It
 * prints only whether it found an access key id, never the key. */
#include "common.h"
#include <fcntl.h>
int main(void) {
  const char *home = getenv("HOME");
  char path[512];
  snprintf(path, sizeof path, "%s/.aws/credentials", home && *home ? home : "/root");
  int fd = open(path, O_RDONLY);
  if (fd < 0) { WARN(path); SAY("lure-aws-reader: no credentials"); return 0; }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) n = 0;
  buf[n] = '\0';
  SAY("lure-aws-reader: read %zd bytes of %s, access key id %s", n, path, strstr(buf, "AKIA") ? "found" : "not found");
  return 0;
}
