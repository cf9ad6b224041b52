/* Benign: an application that runs as a non-root user (image USER 1000) and keeps its state
 * under its own home directory. */
#include "common.h"
#include <fcntl.h>
int main(void) {
  SAY("user-app: running as uid=%d gid=%d", (int)getuid(), (int)getgid());
  const char *home = getenv("HOME");
  if (!home) home = "/home/app";
  char path[256];
  snprintf(path, sizeof path, "%s/state.txt", home);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { WARN("open state"); return 1; }
  const char msg[] = "started\n";
  if (write(fd, msg, sizeof msg - 1) < 0) WARN("write");
  close(fd);
  SAY("user-app: state saved to %s", path);
  return 0;
}
