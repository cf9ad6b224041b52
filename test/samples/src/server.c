/* Benign: an ordinary service shape. Binds and listens on 0.0.0.0:8080, accepts (and closes)
 * whatever arrives for about 3 seconds, then exits 0 by itself. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { WARN("socket"); return 1; }
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = htonl(INADDR_ANY) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) { WARN("bind"); return 1; }
  if (listen(s, 16) != 0) { WARN("listen"); return 1; }
  SAY("server: listening on 0.0.0.0:8080");
  time_t end = time(NULL) + 3;
  while (time(NULL) < end) {
    struct pollfd p = { .fd = s, .events = POLLIN };
    if (poll(&p, 1, 500) > 0) { int c = accept(s, NULL, NULL); if (c >= 0) close(c); }
  }
  close(s);
  SAY("server: shutting down");
  return 0;
}
