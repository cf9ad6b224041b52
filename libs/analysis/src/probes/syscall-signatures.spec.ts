import { createGvisorParser } from './gvisor-parser.js';
import { createStraceParser } from './strace-parser.js';
import { SYSCALL_SIGNATURES, signatureOf } from './syscall-signatures.js';
import { parseText } from './trace-parser.js';

/** The syscalls each parser's own decoder table covered before the two were merged into one. */
const STRACE_BEFORE: readonly string[] = ["open","openat","openat2","creat","memfd_create","execve","execveat","clone","clone3","fork","vfork","socket","socketpair","connect","bind","listen","accept","sendto","sendmsg","recvfrom","recvmsg","read","pread64","readv","preadv","write","pwrite64","writev","pwritev","sendfile","copy_file_range","splice","close","close_range","dup","dup2","dup3","fcntl","pipe","pipe2","eventfd","eventfd2","epoll_create","epoll_create1","signalfd","signalfd4","timerfd_create","inotify_init","inotify_init1","userfaultfd","pidfd_open","perf_event_open","fanotify_init","unlink","rmdir","unlinkat","rename","renameat","renameat2","mkdir","mkdirat","mknod","mknodat","symlink","symlinkat","link","linkat","chmod","fchmod","fchmodat","chown","lchown","fchown","fchownat","truncate","ftruncate","chdir","fchdir","chroot","ptrace","process_vm_writev","process_vm_readv","mount","umount","umount2","pivot_root","unshare","setns","init_module","finit_module","delete_module","bpf","setuid","setgid","setreuid","setregid","setresuid","setresgid","setsid","setpgid","kill","tkill","tgkill","exit","exit_group","prctl","ioctl","mprotect","mmap","capset","readlink","readlinkat","stat","lstat","newfstatat","statx","access","faccessat","faccessat2"];
const GVISOR_BEFORE: readonly string[] = ["open","openat","openat2","creat","memfd_create","execve","execveat","clone","clone3","fork","vfork","socket","socketpair","connect","bind","listen","accept","accept4","sendto","sendmsg","recvfrom","recvmsg","read","pread64","readv","preadv","write","pwrite64","writev","pwritev","sendfile","copy_file_range","splice","close","dup","dup2","dup3","fcntl","pipe","pipe2","eventfd","eventfd2","epoll_create","epoll_create1","signalfd","signalfd4","timerfd_create","inotify_init","inotify_init1","userfaultfd","pidfd_open","perf_event_open","unlink","rmdir","unlinkat","rename","renameat","renameat2","mkdir","mkdirat","mknod","mknodat","symlink","symlinkat","link","linkat","chmod","fchmod","fchmodat","chown","lchown","fchown","fchownat","truncate","ftruncate","chdir","fchdir","chroot","ptrace","process_vm_writev","process_vm_readv","mount","umount","umount2","pivot_root","unshare","setns","init_module","finit_module","delete_module","bpf","setuid","setgid","setreuid","setregid","setresuid","setresgid","setsid","setpgid","kill","tkill","tgkill","exit","exit_group","prctl","ioctl","mprotect","mmap","readlink","readlinkat","stat","lstat","newfstatat","statx","access","faccessat","faccessat2"];

describe('syscall signature table', () => {
  it('covers every syscall the strace parser decoded before', () => {
    expect(STRACE_BEFORE.filter((n) => signatureOf(n, 'strace') === undefined)).toEqual([]);
  });

  it('covers every syscall the gVisor parser decoded before, and no more', () => {
    expect(GVISOR_BEFORE.filter((n) => signatureOf(n, 'gvisor') === undefined)).toEqual([]);
    const now = Object.keys(SYSCALL_SIGNATURES).filter((n) => signatureOf(n, 'gvisor') !== undefined);
    expect(now.sort()).toEqual([...GVISOR_BEFORE].sort());
    const strace = Object.keys(SYSCALL_SIGNATURES).filter((n) => signatureOf(n, 'strace') !== undefined);
    expect(strace.sort()).toEqual([...STRACE_BEFORE].sort());
  });

  it('is well formed: positions in range, unique keys, const arguments carry a value', () => {
    for (const [name, sig] of Object.entries(SYSCALL_SIGNATURES)) {
      const keys = sig.args.filter((a) => a.kind !== 'openhow').map((a) => a.key);
      expect({ name, dup: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ name, dup: [] });
      for (const a of sig.args) {
        if (a.kind === 'const') expect({ name, value: typeof a.value }).toEqual({ name, value: 'string' });
        else expect({ name, at: a.at >= 0 && a.at < 6 }).toEqual({ name, at: true });
      }
    }
  });

  it('does not answer for names that are not syscalls (prototype keys)', () => {
    expect(signatureOf('constructor', 'strace')).toBeUndefined();
    expect(signatureOf('__proto__', 'gvisor')).toBeUndefined();
  });

  it('one entry drives both notations to the same event arguments', () => {
    const s = parseText(createStraceParser, '100 1.000000 openat(AT_FDCWD</>, "/etc/shadow", O_RDONLY|O_CLOEXEC) = 3</etc/shadow>').events[0]!;
    const g = parseText((k) => createGvisorParser(k, { initPid: 0, year: 2026 }), [
      'I1127 07:55:10.645421   29188 strace.go:567] [   2:   2] cat E openat(AT_FDCWD /, 0x7f00 /etc/shadow, O_RDONLY|O_CLOEXEC|0x0, 0o0)',
      'I1127 07:55:10.645500   29188 strace.go:602] [   2:   2] cat X openat(AT_FDCWD /, 0x7f00 /etc/shadow, O_RDONLY|O_CLOEXEC|0x0, 0o0) = 3 (0x3) (5µs)',
    ].join('\n')).events[0]!;
    for (const ev of [s, g]) {
      expect(ev.args).toMatchObject({ dirfd: -100, name: '/etc/shadow', flags: 'O_RDONLY|O_CLOEXEC', fd: 3 });
      expect(ev.fd).toMatchObject({ num: 3, type: 'file', name: '/etc/shadow' });
    }
    expect(g.args.mode).toBe('00');
  });
});
