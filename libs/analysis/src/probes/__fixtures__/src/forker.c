/* Process tree: threads, fork with cwd change and relative-path writes, vfork+exec, a child killed by SIGKILL. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static void *worker(void *arg) {
  int fd = open("/tmp/thread.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, "thread\n", 7);
  close(fd);
  return arg;
}
int main(void) {
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  pid_t a = fork();
  if (a == 0) {
    chdir("/tmp");
    int fd = open("child.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    write(fd, "child\n", 6);
    int d = open("/etc", O_RDONLY | O_DIRECTORY);
    fchdir(d);
    int p = openat(AT_FDCWD, "passwd", O_RDONLY);
    close(p);
    _exit(3);
  }
  waitpid(a, NULL, 0);
  pid_t v = vfork();
  if (v == 0) {
    char *argv[] = {"ls", "/tmp", NULL};
    execv("/bin/ls", argv);
    _exit(127);
  }
  waitpid(v, NULL, 0);
  pid_t k = fork();
  if (k == 0) { pause(); _exit(0); }
  usleep(10000);
  kill(k, SIGKILL);
  waitpid(k, NULL, 0);
  return 0;
}
