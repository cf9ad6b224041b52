import type { SyscallArch, SyscallRecord } from './syscall-set.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.js';

/**
 * Seccomp profiles from an observed run (docs/hardening.md): default deny (`SCMP_ACT_ERRNO`,
 * EPERM), allowing the syscalls the sample called, the ones its probe never records, and what the
 * container runtime needs between applying the filter and the entrypoint's first instruction.
 */

export type SeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG';
export type SeccompArchName = 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X86' | 'SCMP_ARCH_X32' | 'SCMP_ARCH_AARCH64' | 'SCMP_ARCH_ARM';

/** The Docker / OCI (`linux.seccomp`) profile shape, as `docker run --security-opt seccomp=FILE` and a kubelet's Localhost profile read it. */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures: SeccompArchName[];
  syscalls: { names: string[]; action: SeccompAction }[];
}

export const EPERM = 1;

/** Architectures a profile for this run's arch lists (the native one first, then its 32-bit ABIs). */
export const SECCOMP_ARCHITECTURES: Readonly<Record<SyscallArch, readonly SeccompArchName[]>> = {
  x86_64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  aarch64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

/**
 * What the container runtime needs once the filter is in place, before the image's entrypoint runs:
 * THE table (docs/hardening.md, "Runtime baseline"). runc 1.1 with no-new-privileges (what Docker's
 * `--security-opt no-new-privileges` and Kubernetes' `allowPrivilegeEscalation: false` set) loads the
 * filter as late as it can, after the privilege drop: it then marks its inherited fds close-on-exec
 * (reading /proc/self/fd), closes its sync and log pipes, opens and writes the exec fifo, and
 * execve()s the entrypoint; its Go runtime may run the scheduler and GC on other threads meanwhile
 * (the filter is synchronised to all threads). `verified`: runc 1.1.5 here fails to start the
 * container without it (each removed in turn, `docker run --security-opt seccomp=…`); the others
 * are the Go runtime's calls a busy machine can make in that window. Without no-new-privileges runc
 * loads the filter before the privilege drop: WITHOUT_NO_NEW_PRIVILEGES, added on request. The
 * entrypoint's own loader and libc start-up are in the trace (the probe watches from its execve),
 * apart from what the probe leaves out (SyscallRecord.unrecorded, added too).
 */
export const RUNTIME_BASELINE: readonly { name: string; why: string; verified?: true }[] = [
  { name: 'execve', why: 'runc starts the entrypoint', verified: true },
  { name: 'openat', why: 'runc opens /proc/self/fd and the exec fifo', verified: true },
  { name: 'fstatfs', why: 'runc checks /proc/self/fd is procfs', verified: true },
  { name: 'getdents64', why: 'runc lists /proc/self/fd to mark fds close-on-exec', verified: true },
  { name: 'fcntl', why: 'runc sets FD_CLOEXEC' },
  { name: 'close', why: 'runc closes its sync, log and fifo fds', verified: true },
  { name: 'write', why: 'runc writes to the exec fifo (the start signal)', verified: true },
  { name: 'getpid', why: 'runc reads its pid for the start hooks' },
  { name: 'futex', why: 'Go runtime: thread wake-ups', verified: true },
  { name: 'mmap', why: 'Go runtime: heap', verified: true },
  { name: 'munmap', why: 'Go runtime: heap' },
  { name: 'madvise', why: 'Go runtime: GC returns memory' },
  { name: 'rt_sigaction', why: 'signal handlers (also tini / docker-init)', verified: true },
  { name: 'rt_sigprocmask', why: 'signal masks (also tini / docker-init)', verified: true },
  { name: 'rt_sigreturn', why: 'return from any signal handler' },
  { name: 'sigaltstack', why: 'Go runtime: signal stacks' },
  { name: 'nanosleep', why: 'Go runtime: scheduler back-off' },
  { name: 'sched_yield', why: 'Go runtime: scheduler' },
  { name: 'epoll_pwait', why: 'Go runtime: netpoller' },
  { name: 'epoll_ctl', why: 'Go runtime: netpoller (fifo fd)' },
  { name: 'tgkill', why: 'Go runtime: preemption signals' },
  { name: 'gettid', why: 'Go runtime: preemption signals' },
  { name: 'exit', why: 'thread exit' },
  { name: 'exit_group', why: 'process exit (also after a failed exec)' },
];

/** The privilege drop runc does after loading the filter when no-new-privileges is off. */
export const WITHOUT_NO_NEW_PRIVILEGES: readonly string[] = ['capget', 'capset', 'prctl', 'setgroups', 'setresgid', 'setresuid'];

export interface SeccompOptions {
  /** Add the privilege-drop calls runc makes after the filter without no-new-privileges (default false). */
  withoutNoNewPrivileges?: boolean;
  /** Extra names to allow (the sandbox's own machinery when Quarantine re-runs an image under the profile). */
  extra?: readonly string[];
}

/** Why a record cannot give a profile, or null when it can. */
export function seccompRefusal(rec: SyscallRecord | undefined | null): string | null {
  if (!rec) return 'the analysis has no syscall record (it ran before syscall recording existed: rescore it, or run it again)';
  if (rec.v !== 1) return `unsupported syscall record version ${String(rec.v)}`;
  if (!rec.complete) return `the run's probe could not see every syscall: ${rec.incomplete ?? 'incomplete'}; a profile from it would break the service (run the image again with probe strace)`;
  if (!SECCOMP_ARCHITECTURES[rec.arch]) return `no seccomp architectures known for ${String(rec.arch)}`;
  if (rec.names.length === 0) return 'the run recorded no syscalls';
  return null;
}

function validName(arch: SyscallArch, name: string): boolean {
  // aarch64 names are those of the generic table, which are x86_64 names too.
  return arch === 'x86_64' ? X86_64_SYSCALLS.has(name) || I386_SYSCALLS.has(name) : X86_64_SYSCALLS.has(name);
}

/** The allow list: observed ∪ unrecorded by the probe ∪ runtime baseline (∪ options), sorted. Throws on a record seccompRefusal refuses. */
export function allowedSyscalls(rec: SyscallRecord, opts: SeccompOptions = {}): string[] {
  const why = seccompRefusal(rec);
  if (why) throw new Error(why);
  const all = new Set<string>();
  const add = (n: string) => { if (validName(rec.arch, n)) all.add(n); };
  for (const n of rec.names) add(n);
  for (const n of rec.unrecorded) add(n);
  for (const b of RUNTIME_BASELINE) add(b.name);
  if (opts.withoutNoNewPrivileges) for (const n of WITHOUT_NO_NEW_PRIVILEGES) add(n);
  for (const n of opts.extra ?? []) add(n);
  return [...all].sort();
}

/** The Docker / OCI seccomp profile for a run. */
export function seccompProfile(rec: SyscallRecord, opts: SeccompOptions = {}): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...SECCOMP_ARCHITECTURES[rec.arch]],
    syscalls: [{ names: allowedSyscalls(rec, opts), action: 'SCMP_ACT_ALLOW' }],
  };
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** The Security Profiles Operator's SeccompProfile (v1beta1): the same profile, for `localhostProfile: operator/<ns>/<name>.json`. */
export function spoSeccompProfile(profile: SeccompProfile, meta: ObjectMeta) {
  return {
    apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
    kind: 'SeccompProfile',
    metadata: meta,
    // SPO's spec has no defaultErrnoRet: SCMP_ACT_ERRNO without one is EPERM, the same.
    spec: {
      defaultAction: profile.defaultAction,
      architectures: profile.architectures,
      syscalls: profile.syscalls.map((s) => ({ action: s.action, names: s.names })),
    },
  };
}
