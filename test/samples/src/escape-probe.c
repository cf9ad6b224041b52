/* Malicious: container-escape attempts that need no exploit code to be recognised. Tries to open
 * the runtime binary through /proc/self/exe for writing (CVE-2019-5736 shape), to read the host
 * disk (/dev/sda) and physical memory (/dev/mem), creates a block device node with mknod, and
 * tries to turn off ASLR through /proc/sys (T1611, T1006). Every attempt fails in the sandbox. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
static void attempt(const char *what, int rc) { if (rc < 0) WARN(what); else SAY("escape-probe: %s succeeded", what); }
int main(void) {
  int fd = open("/proc/self/exe", O_WRONLY);
  attempt("open /proc/self/exe for writing", fd);
  if (fd >= 0) close(fd);
  fd = open("/dev/sda", O_RDONLY);
  attempt("open /dev/sda", fd);
  if (fd >= 0) close(fd);
  fd = open("/dev/mem", O_RDONLY);
  attempt("open /dev/mem", fd);
  if (fd >= 0) close(fd);
  attempt("mknod /tmp/hostdisk", mknod("/tmp/hostdisk", S_IFBLK | 0600, makedev(8, 0)));
  fd = open("/proc/sys/kernel/randomize_va_space", O_WRONLY | O_TRUNC);
  attempt("open /proc/sys/kernel/randomize_va_space", fd);
  if (fd >= 0) { if (write(fd, "0\n", 2) < 0) WARN("write"); close(fd); }
  SAY("escape-probe: done");
  return 0;
}
