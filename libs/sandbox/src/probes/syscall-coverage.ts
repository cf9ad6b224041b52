import type { SyscallCoverage } from '#analysis/hardening/syscall-set';
import { STRACE_NOISE_SYSCALLS } from './strace-args.js';

/**
 * Whether a probe's trace names every syscall the sample made, for the seccomp profile generator
 * (docs/hardening.md). strace and gVisor's log record every call except the same noise list
 * (STRACE_NOISE_SYSCALLS: allocator, signal masks, clocks, id getters), which a profile therefore
 * always allows. The others record a chosen set of security-relevant calls only: a profile from
 * their trace would miss whatever they do not watch, and break the service.
 */
export function syscallCoverage(probe: string): SyscallCoverage {
  switch (probe) {
    case 'strace':
    case 'gvisor':
      return { complete: true, unrecorded: STRACE_NOISE_SYSCALLS };
    case 'ebpf':
      return { complete: false, reason: 'probe ebpf traces a fixed set of security-relevant syscalls, not every syscall', unrecorded: [] };
    case 'perf':
    case 'ftrace':
      return { complete: false, reason: `probe ${probe}'s syscall names have not been checked for completeness (profiles come from strace or gvisor traces)`, unrecorded: [] };
    default:
      return { complete: false, reason: `probe ${probe} reports a sensor's chosen events, not every syscall`, unrecorded: [] };
  }
}
