// strace's command line, apart from the process code so pure builders (Kubernetes sidecar objects) can use it.
/**
 * strace flags (reasons in libs/analysis/src/probes/README.md): follow children (-f), µs unix
 * timestamps, full argv/envp (-v), 1 KiB strings, fd targets annotated (-yy: paths, memfds,
 * sockets, the real cwd), child pids translated to the host's pid namespace, symbolic flags, and
 * high-volume calls that carry no security signal left out. -q, not -qq: exit lines stay.
 * Attachment is confirmed through /proc/PID/status TracerPid.
 */
export const STRACE_NOISE_SYSCALLS = [
  'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'rt_sigaction', 'rt_sigprocmask',
  'rt_sigreturn', 'sigaltstack', 'futex', 'getrandom', 'clock_gettime', 'clock_nanosleep', 'nanosleep', 'gettimeofday',
  'getpid', 'gettid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'sched_yield', 'sched_getaffinity', 'madvise',
  'membarrier', 'restart_syscall',
] as const;
/** `--quiet=attach` is `-q` without `personality`: strace's `[ Process PID=N runs in 32 bit mode. ]`
 * lines tell the parser about `int 0x80` / x32 calls (compat_syscall events). */
export const STRACE_ARGS = [
  '-f', '--quiet=attach', '--absolute-timestamps=unix,us', '-s', '1024', '-v', '-yy', '--decode-pids=pidns',
  '-e', `trace=!${STRACE_NOISE_SYSCALLS.join(',')}`,
] as const;
