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
 * THE table (docs/hardening.md, "Runtime baseline"). runc (1.1, with no-new-privileges, which Docker and
 * Kubernetes' `allowPrivilegeEscalation: false` set) loads the filter as late as it can: after it
 * has dropped privileges (setgroups/setuid/capset happen before), it closes its sync pipes, opens and
 * writes the exec fifo, and execve()s the entrypoint; its Go runtime may meanwhile run the scheduler
 * and GC on other threads (the filter is synchronised to all threads). Without no-new-privileges runc
 * loads the filter earlier and needs the privilege-drop calls too (`capget`, `capset`, `setgroups`,
 * `setresuid`, `setresgid`, `prctl`): listed in WITHOUT_NO_NEW_PRIVILEGES and added on request.
 * The dynamic loader and libc start-up of the entrypoint itself are in the trace (the probe watches
 * from the entrypoint's execve), apart from what the probe leaves out (SyscallRecord.unrecorded).
 */
export const RUNTIME_BASELINE: readonly { name: string; why: string }[] = [
  { name: 'execve', why: 'runc starts the entrypoint' },
  { name: 'execveat', why: 'runc may start it through an fd (runc ≥ 1.1 with a cloned binary)' },
  { name: 'openat', why: 'runc opens the exec fifo through /proc/self/fd' },
  { name: 'write', why: 'runc writes to the exec fifo (start signal)' },
  { name: 'close', why: 'runc closes its sync, log and fifo fds' },
  { name: 'getpid', why: 'runc reads its pid for the start hooks' },
  { name: 'fcntl', why: 'Go runtime: fd flags on the fifo' },
  { name: 'futex', why: 'Go runtime: thread parking' },
  { name: 'nanosleep', why: 'Go runtime: scheduler back-off' },
  { name: 'sched_yield', why: 'Go runtime: scheduler' },
  { name: 'epoll_pwait', why: 'Go runtime: netpoller' },
  { name: 'epoll_ctl', why: 'Go runtime: netpoller (fifo fd)' },
  { name: 'mmap', why: 'Go runtime: heap' },
  { name: 'munmap', why: 'Go runtime: heap' },
  { name: 'madvise', why: 'Go runtime: GC returns memory' },
  { name: 'rt_sigaction', why: 'Go runtime: signal handlers' },
  { name: 'rt_sigprocmask', why: 'Go runtime: signal masks on new threads' },
  { name: 'rt_sigreturn', why: 'return from any signal handler' },
  { name: 'sigaltstack', why: 'Go runtime: signal stacks' },
  { name: 'tgkill', why: 'Go runtime: preemption signals' },
  { name: 'gettid', why: 'Go runtime: preemption signals' },
  { name: 'exit', why: 'thread exit' },
  { name: 'exit_group', why: 'process exit (also a failed exec)' },
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
