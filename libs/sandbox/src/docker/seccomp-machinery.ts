/**
 * The sandbox's own processes that run under a seccomp profile a run is checking (`seccompFrom`,
 * docs/hardening.md), which production does not have: docker-init (PID 1, `--init`: tini) and the
 * hold wrapper (/.quarantine/hold). The filter covers the whole container, so these are allowed on
 * top of the generated profile for that run; the generated profile itself never contains them.
 * Measured here (bpftrace on raw_syscalls for the container's processes, Docker 20.10 / runc 1.1.5):
 * docker-init's start-up, its fork/exec of the wrapper, wait and signal forwarding; the wrapper's
 * raise(SIGSTOP) and execvp. None of them is one the escape and privilege-escalation rules watch.
 */
export const SANDBOX_SECCOMP_MACHINERY: readonly string[] = [
  // docker-init (static tini)
  'arch_prctl', 'brk', 'clone', 'execve', 'exit_group', 'getpgrp', 'getpid', 'getrandom', 'ioctl', 'kill', 'mprotect', 'prlimit64',
  'readlink', 'rseq', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigtimedwait', 'set_robust_list', 'set_tid_address', 'setpgid', 'wait4',
  // the hold wrapper (static): raise(SIGSTOP), execvp over PATH, an error message
  'gettid', 'tgkill', 'write',
];
