/* Malicious: fileless execution (T1620). Creates an anonymous memfd, copies /bin/busybox into
 * it (standing in for a payload fetched over the network) and executes it from memory with
 * argv "echo pwned": execveat(fd, "", AT_EMPTY_PATH), falling back to fexecve. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
int main(void) {
  int mfd = memfd_create("kworker", 0);
  if (mfd < 0) { WARN("memfd_create"); return 1; }
  int src = open("/bin/busybox", O_RDONLY);
  if (src < 0) { WARN("open /bin/busybox"); return 1; }
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0)
    if (write(mfd, buf, (size_t)n) != n) { WARN("write memfd"); return 1; }
  close(src);
  char *argv[] = { "echo", "pwned", NULL };
  char *envp[] = { "PATH=/bin", NULL };
  syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  WARN("execveat");
  fexecve(mfd, argv, envp);
  WARN("fexecve");
  return 127;
}
