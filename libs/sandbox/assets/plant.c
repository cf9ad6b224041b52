/*
 * Quarantine's planter: runs on the host, joins the mount namespace of a held sandbox (its
 * entrypoint stopped before its first instruction, nothing else running inside) and, in that
 * namespace, where `/` is the sandbox's own root, answers a few commands from the worker on stdin:
 *
 *   S <path>\n          -> "dir" | "other" | "missing" | "error"   (stat, symlinks followed inside)
 *   R <cap> <path>\n    -> "<len>\n" + the bytes of a regular file of at most <cap> bytes, or "-1"
 *   T <size>\n<ustar>   -> "ok" | "error <message>"   (regular files and directories, owner and mode
 *                          as given; a file replaces what is at its path unless that is a directory;
 *                          missing parents are made 0755 root)
 *   U <path>\n          -> "ok" | "error <message>"   (lazy unmount, e.g. the hold wrapper's directory)
 *   D <path>\n          -> "ok" | "error <message>"   (removes a file, or a directory and the files in it)
 *
 * It replaces the engine's archive calls (each one a re-exec of dockerd and a mount) for the files a
 * sandbox gets before it runs: name-resolution files, credential lures, and the removal of tells.
 * Every path is resolved in the sandbox's namespace, so the image's symlinks cannot point it at the
 * host. Built static by scripts/build-assets.sh; see libs/sandbox/src/docker/planter.ts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_TAR (4 << 20)

static int reply(const char *fmt, const char *arg) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, fmt, arg ? arg : "");
  if (n < 0) return -1;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  return write(1, buf, (size_t)n) == n ? 0 : -1;
}

static int read_full(int fd, void *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* One command line (without the newline), at most cap-1 bytes; 0 at end of input. */
static int read_line(char *buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t r = read(0, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return n ? -1 : 0;
    if (c == '\n') { buf[n] = 0; return 1; }
    if (n + 1 >= cap) return -1;
    buf[n++] = c;
  }
}

static unsigned long octal(const unsigned char *p, size_t n) {
  unsigned long v = 0;
  for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++) v = v * 8 + (unsigned long)(p[i] - '0');
  return v;
}

/* mkdir -p of the parents of path (absolute), 0755 root for the ones made. */
static int parents(const char *path) {
  char tmp[PATH_MAX];
  if (strlen(path) >= sizeof tmp) return -1;
  strcpy(tmp, path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return 0;
}

static const char *extract(const unsigned char *tar, size_t len) {
  static char err[300];
  for (size_t off = 0; off + 512 <= len;) {
    const unsigned char *h = tar + off;
    int zero = 1;
    for (int i = 0; i < 512; i++) if (h[i]) { zero = 0; break; }
    if (zero) return NULL;
    char name[128] = "/";
    size_t nl = strnlen((const char *)h, 100);
    memcpy(name + 1, h, nl);
    name[1 + nl] = 0;
    while (nl > 0 && name[nl] == '/') name[nl--] = 0; /* "dir/" -> "/dir" */
    unsigned long mode = octal(h + 100, 8) & 07777, uid = octal(h + 108, 8), gid = octal(h + 116, 8), size = octal(h + 124, 12);
    char type = (char)h[156];
    size_t body = off + 512;
    if (size > len || body + size > len) return "truncated archive";
    if (strstr(name, "/../") || (strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0)) return "path with ..";
    if (parents(name) != 0) { snprintf(err, sizeof err, "%s: parents: %s", name, strerror(errno)); return err; }
    if (type == '5') {
      if (mkdir(name, (mode_t)mode) != 0 && errno != EEXIST) { snprintf(err, sizeof err, "%s: %s", name, strerror(errno)); return err; }
      if (lchown(name, (uid_t)uid, (gid_t)gid) != 0 || chmod(name, (mode_t)mode) != 0) { snprintf(err, sizeof err, "%s: %s", name, strerror(errno)); return err; }
    } else if (type == '0' || type == 0) {
      /* A file the engine bind-mounted (Docker's /etc/hostname) is rewritten in place, as an archive
       * extracted before start would have been hidden under it. */
      int busy = 0;
      if (unlink(name) != 0) {
        if (errno == EBUSY) busy = 1;
        else if (errno != ENOENT) { snprintf(err, sizeof err, "%s: %s", name, strerror(errno)); return err; }
      }
      int fd = busy ? open(name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC) : open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
      if (fd < 0) { snprintf(err, sizeof err, "%s: %s", name, strerror(errno)); return err; }
      size_t w = 0;
      while (w < size) {
        ssize_t r = write(fd, tar + body + w, size - w);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { close(fd); snprintf(err, sizeof err, "%s: write: %s", name, strerror(errno)); return err; }
        w += (size_t)r;
      }
      if (fchown(fd, (uid_t)uid, (gid_t)gid) != 0 || fchmod(fd, (mode_t)mode) != 0) { close(fd); snprintf(err, sizeof err, "%s: %s", name, strerror(errno)); return err; }
      close(fd);
    } else {
      return "unsupported entry type";
    }
    off = body + ((size + 511) / 512) * 512;
  }
  return NULL;
}

static int remove_path(const char *path) {
  if (unlink(path) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return -1;
  DIR *d = opendir(path);
  if (!d) return -1;
  int dfd = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (unlinkat(dfd, e->d_name, 0) != 0 && errno != ENOENT) { closedir(d); return -1; }
  }
  closedir(d);
  return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s PID\n", argv[0]); return 2; }
  char ns[64];
  snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", atoi(argv[1]));
  int fd = open(ns, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { fprintf(stderr, "%s: %s\n", ns, strerror(errno)); return 1; }
  if (setns(fd, CLONE_NEWNS) != 0) { fprintf(stderr, "setns: %s\n", strerror(errno)); return 1; }
  close(fd);
  if (chdir("/") != 0) return 1;
  umask(0);
  char line[PATH_MAX + 64];
  for (;;) {
    int r = read_line(line, sizeof line);
    if (r == 0) return 0;
    if (r < 0 || strlen(line) < 3 || line[1] != ' ') { fprintf(stderr, "bad command\n"); return 2; }
    char *arg = line + 2;
    switch (line[0]) {
      case 'S': {
        struct stat st;
        if (stat(arg, &st) == 0) reply("%s\n", S_ISDIR(st.st_mode) ? "dir" : "other");
        else if (errno == ENOENT || errno == ENOTDIR) reply("%s\n", lstat(arg, &st) == 0 ? "other" : "missing");
        else reply("%s\n", "error");
        break;
      }
      case 'R': {
        char *path = NULL;
        unsigned long cap = strtoul(arg, &path, 10);
        if (!path || *path != ' ') { fprintf(stderr, "bad command\n"); return 2; }
        path++;
        int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        struct stat st;
        if (f < 0 || fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || (unsigned long)st.st_size > cap) {
          if (f >= 0) close(f);
          reply("%s\n", "-1");
          break;
        }
        char *buf = malloc((size_t)st.st_size + 1);
        ssize_t got = buf ? read(f, buf, (size_t)st.st_size) : -1;
        close(f);
        if (got < 0) { free(buf); reply("%s\n", "-1"); break; }
        char hdr[32];
        snprintf(hdr, sizeof hdr, "%zd", got);
        reply("%s\n", hdr);
        if (got > 0 && write(1, buf, (size_t)got) != got) return 1;
        free(buf);
        break;
      }
      case 'T': {
        unsigned long size = strtoul(arg, NULL, 10);
        if (size == 0 || size > MAX_TAR) { fprintf(stderr, "bad archive size\n"); return 2; }
        unsigned char *tar = malloc(size);
        if (!tar || read_full(0, tar, size) != 0) { fprintf(stderr, "short archive\n"); return 2; }
        const char *e = extract(tar, size);
        free(tar);
        if (e) reply("error %s\n", e); else reply("%s\n", "ok");
        break;
      }
      case 'U':
        if (umount2(arg, MNT_DETACH) == 0) reply("%s\n", "ok"); else reply("error %s\n", strerror(errno));
        break;
      case 'D':
        if (remove_path(arg) == 0) reply("%s\n", "ok"); else reply("error %s\n", strerror(errno));
        break;
      default:
        fprintf(stderr, "bad command\n");
        return 2;
    }
  }
}
