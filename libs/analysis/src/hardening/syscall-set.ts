import { COMPAT_SYSCALL, type RawEvent } from '../events/event.js';
import type { SyscallNumberSet } from '../probes/trace-parser.js';
import { syscallName } from './syscall-numbers.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.js';

/** CPU architectures a profile can be generated for (the run's `process.arch` on the worker, as the kernel names it). */
export type SyscallArch = 'x86_64' | 'aarch64';

/**
 * The report's `syscalls` section: every syscall name the sample's processes called during the run
 * (after the entrypoint's execve; the sandbox's own wrapper is not counted), whatever the result, so
 * a seccomp profile can allow exactly these (docs/hardening.md). Bounded by the syscall tables.
 */
export interface SyscallRecord {
  v: 1;
  arch: SyscallArch;
  probe: string;
  /** Sorted, unique, only names of the arch's syscall tables (x86_64 and, for `int 0x80` calls, i386). */
  names: string[];
  /** 32-bit ABIs the sample used (`i386` through int 0x80, `x32`): the profile must list their architectures. */
  compatAbis: string[];
  /** Syscalls the probe never records (its noise filter): a profile adds them, they cannot be known from the trace. */
  unrecorded: string[];
  /** Whether the probe records every syscall (apart from `unrecorded`); when false, `incomplete` says why. */
  complete: boolean;
  incomplete?: string;
  /** Event types that were neither a known syscall nor a probe/sandbox event (e.g. `syscall_0x1c3`), at most 16. */
  unknown: string[];
}

/** What a probe can tell about syscall names (libs/sandbox/src/probes/syscall-coverage.ts decides per probe). */
export interface SyscallCoverage {
  complete: boolean;
  /** Why not complete, for the API's refusal. */
  reason?: string;
  unrecorded: readonly string[];
}

/** Event types that are not syscalls: probe bookkeeping and sandbox observations. */
const NOT_SYSCALLS = new Set(['procexit', 'signaldeliver', COMPAT_SYSCALL]);
const MAX_UNKNOWN = 16;

/**
 * Collects syscall names from the events the state tracker shows to rules. Memory is bounded by the
 * syscall tables (a few hundred names) plus MAX_UNKNOWN unknown types.
 */
export class SyscallRecorder {
  private readonly names = new Set<string>();
  private readonly unknown = new Set<string>();
  private readonly abis = new Set<string>();
  private fromKernel = false;

  /** Whether the trace carried the probe's own complete syscall set (observeSet). */
  get hasSet(): boolean {
    return this.fromKernel;
  }

  /**
   * Adds a probe's record of every syscall number the sandbox's processes used (the ebpf probe's
   * kernel-side set). Numbers the tables do not know are listed in `unknown` as `<abi>:<nr>`.
   */
  observeSet(set: SyscallNumberSet): void {
    this.fromKernel = true;
    for (const abi of ['x86_64', 'i386', 'x32'] as const) {
      const nrs = set[abi];
      if (abi !== 'x86_64' && nrs.length > 0) this.abis.add(abi);
      for (const nr of nrs) {
        const name = syscallName(abi, nr);
        if (name !== undefined) this.names.add(name);
        else if (this.unknown.size < MAX_UNKNOWN) this.unknown.add(`${abi}:${nr}`);
      }
    }
  }

  observe(raw: Pick<RawEvent, 'source' | 'type' | 'args'>): void {
    if (raw.source === 'sandbox' || raw.source === 'network' || raw.source === 'static') return;
    const t = raw.type;
    if (t === COMPAT_SYSCALL) {
      const abi = raw.args?.abi;
      if (abi === 'i386' || abi === 'x32') this.abis.add(abi);
      return;
    }
    if (this.names.has(t) || NOT_SYSCALLS.has(t)) return;
    if (X86_64_SYSCALLS.has(t) || I386_SYSCALLS.has(t)) this.names.add(t);
    else if (this.unknown.size < MAX_UNKNOWN) this.unknown.add(t);
  }

  record(probe: string, coverage: SyscallCoverage, arch: SyscallArch = 'x86_64'): SyscallRecord {
    const rec: SyscallRecord = {
      v: 1,
      arch,
      probe,
      names: [...this.names].sort(),
      compatAbis: [...this.abis].sort(),
      unrecorded: [...coverage.unrecorded].sort(),
      complete: coverage.complete,
      unknown: [...this.unknown].sort(),
    };
    if (!coverage.complete) rec.incomplete = coverage.reason ?? `probe ${probe} does not record every syscall`;
    return rec;
  }
}

/** The worker's architecture as the kernel names it (node's `process.arch`: x64, arm64). */
export function syscallArch(nodeArch: string): SyscallArch | null {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return null;
}
