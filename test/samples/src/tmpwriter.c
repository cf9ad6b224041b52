/* Benign: writes its own scratch files under /tmp, reads them back, cleans up, exits 0. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
int main(void) {
  const char *dir = "/tmp/tmpwriter";
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) { WARN("mkdir"); return 1; }
  char path[64], buf[128];
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/chunk-%d.txt", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { WARN("open for write"); return 1; }
    int n = snprintf(buf, sizeof buf, "chunk %d of scratch data\n", i);
    if (write(fd, buf, n) != n) { WARN("write"); return 1; }
    close(fd);
  }
  size_t total = 0;
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/chunk-%d.txt", dir, i);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { WARN("open for read"); return 1; }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) total += (size_t)n;
    close(fd);
    unlink(path);
  }
  rmdir(dir);
  SAY("tmpwriter: wrote and read back %zu bytes under %s", total, dir);
  return 0;
}
