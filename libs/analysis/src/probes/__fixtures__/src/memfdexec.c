/* Fileless execution: copy /bin/busybox into a memfd, then run it twice:
 * via execveat(fd, "", AT_EMPTY_PATH) and via execve("/proc/self/fd/N"). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
int main(void) {
  int src = open("/bin/busybox", O_RDONLY);
  struct stat st; fstat(src, &st);
  char *buf = malloc(st.st_size);
  ssize_t got = 0;
  while (got < st.st_size) { ssize_t n = read(src, buf + got, st.st_size - got); if (n <= 0) break; got += n; }
  close(src);
  int m = memfd_create("payload", 0);
  ssize_t off = 0;
  while (off < got) { ssize_t n = write(m, buf + off, got - off); if (n <= 0) break; off += n; }
  char *envp[] = {"PATH=/bin", NULL};
  pid_t p = fork();
  if (p == 0) {
    char *argv[] = {"kworker", "echo", "from-execveat", NULL};
    syscall(SYS_execveat, m, "", argv, envp, AT_EMPTY_PATH);
    _exit(126);
  }
  waitpid(p, NULL, 0);
  p = fork();
  if (p == 0) {
    char path[64]; snprintf(path, sizeof path, "/proc/self/fd/%d", m);
    char *argv[] = {"echo", "from-procfd", NULL};
    execve(path, argv, envp);
    _exit(126);
  }
  waitpid(p, NULL, 0);
  return 0;
}
