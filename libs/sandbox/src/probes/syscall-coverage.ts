import type { SyscallCoverage } from '#analysis/hardening/syscall-set';
import { STRACE_NOISE_SYSCALLS } from './strace-args.js';

/**
 * Whether a probe's trace names every syscall the sample made, for the seccomp profile generator
 * (docs/hardening.md). strace and gVisor's log record every call except the same noise list
 * (STRACE_NOISE_SYSCALLS: allocator, signal masks, clocks, id getters), which a profile therefore
 * always allows. The ebpf probe's events cover a chosen set of security-relevant calls, but its
 * kernel program also keeps the set of every syscall number the sandbox used, which the loader
 * writes at the end (the C record): complete when the trace has it (`hasSet`), not when the tracer
 * died or was killed before writing it, or the trace is from the bpftrace engine or an older run.
 * The others record a chosen set only: a profile from their trace would miss whatever they do not
 * watch, and break the service.
 */
export function syscallCoverage(probe: string, hasSet = false): SyscallCoverage {
  switch (probe) {
    case 'strace':
    case 'gvisor':
      return { complete: true, unrecorded: STRACE_NOISE_SYSCALLS };
    case 'ebpf':
      // exit and exit_group of i386 callers never return to the tracepoint the set is kept in: the
      // runtime baseline allows both anyway (they are listed here so the report says so).
      if (hasSet) return { complete: true, unrecorded: ['exit', 'exit_group'] };
      return { complete: false, reason: 'the ebpf trace has no syscall-set record (the tracer did not stop cleanly, or the run used the bpftrace engine or predates the record): its events cover a fixed set of security-relevant syscalls only', unrecorded: [] };
    case 'perf':
    case 'ftrace':
      return { complete: false, reason: `probe ${probe}'s syscall names have not been checked for completeness (profiles come from strace or gvisor traces)`, unrecorded: [] };
    default:
      return { complete: false, reason: `probe ${probe} reports a sensor's chosen events, not every syscall`, unrecorded: [] };
  }
}
