/* Malicious only on request: an HTTP service on 0.0.0.0:8080 that answers every path with 404,
 * except /admin, whose handler reads /etc/shadow (T1003.008). Idle until something connects, so
 * only a sandbox that visits its port sees the bad behaviour. Runs until killed. */
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
static void reply(int c, const char *status, const char *body) {
  char out[512];
  int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);
  if (write(c, out, n) < 0) WARN("write");
}
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { WARN("socket"); return 1; }
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = htonl(INADDR_ANY) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) { WARN("bind/listen"); return 1; }
  SAY("stim-admin-server: listening on 0.0.0.0:8080");
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    char req[2048] = {0};
    ssize_t n = read(c, req, sizeof req - 1);
    if (n > 0 && strncmp(req, "GET /admin ", 11) == 0) {
      int fd = open("/etc/shadow", O_RDONLY);
      char buf[1024];
      ssize_t m = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
      if (fd >= 0) close(fd);
      SAY("stim-admin-server: /admin requested, read %zd bytes of /etc/shadow", m);
      reply(c, "200 OK", "admin\n");
    } else {
      reply(c, "404 Not Found", "not found\n");
    }
    close(c);
  }
}
