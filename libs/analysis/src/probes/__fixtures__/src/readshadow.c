/* Reads /etc/shadow and prints its size: credential-access sample. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char buf[512];
  int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
  if (fd < 0) { perror("open"); return 1; }
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  printf("read %zd bytes\n", n);
  int fd2 = openat(AT_FDCWD, "/nonexistent/key", O_RDONLY);
  return fd2 < 0 ? 0 : 2;
}
