/* gVisor parser edge cases: unquoted paths with ", " quotes and brackets, non-ASCII names, an
 * adversarial comm containing " X exit_group(", unix (path and abstract) sockets, UDP sendto with
 * data, F_DUPFD_CLOEXEC and dup3, a failed execve, a child killed by SIGKILL, setresuid. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

int main(void) {
  const char *odd = "/tmp/a, b \"q\" [x] {y} (z).txt";
  int fd = open(odd, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, "odd\n", 4);
  close(fd);
  rename(odd, "/tmp/\xc3\xbc \xc3\xb1.txt");
  symlink("/etc/shadow", "/tmp/link, to shadow");
  unlink("/tmp/link, to shadow");

  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strcpy(sa.sun_path, "/tmp/q.sock");
  bind(u, (struct sockaddr *)&sa, sizeof sa);
  int a = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un ab = {.sun_family = AF_UNIX};
  memcpy(ab.sun_path, "\0qabstract", 10);
  bind(a, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 10);

  int d = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9)};
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  sendto(d, "ping\n", 5, 0, (struct sockaddr *)&in, sizeof in);

  int c = fcntl(d, F_DUPFD_CLOEXEC, 10);
  dup3(c, 20, O_CLOEXEC);

  prctl(PR_SET_NAME, "x X exit_group(");
  char *argv[] = {"/nonexistent", NULL};
  execve("/nonexistent", argv, NULL);

  pid_t p = fork();
  if (p == 0) { pause(); _exit(0); }
  usleep(100000);
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
  setresuid(1000, 1000, 1000);
  return 3;
}
