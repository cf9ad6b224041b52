/** Probes that watch a sandbox from the host; each implementation in its own file. */
export interface ProbeStats {
  probe: string;
  /** Raw records written (lines for strace). */
  records: number;
  bytes: number;
  /** Events the probe says it dropped. */
  lost: number;
  startError?: string;
  stopError?: string;
  /** The probe ran until the sample ended (not killed for budget or crash). */
  complete: boolean;
  exitCode: number | null;
  budgetExceeded: boolean;
}

export type { SandboxTarget as ProbeTarget } from '../sandbox-target.js';
import type { SandboxTarget as ProbeTarget } from '../sandbox-target.js';

export interface ProbeSession {
  /** Where the raw trace is being written. */
  readonly tracePath: string;
  /** Resolves when the probe has exited (all tracees gone) or after `graceMs` it is stopped. */
  stop(graceMs: number): Promise<ProbeStats>;
  /** Fires once if the raw trace exceeds its budget. */
  onBudgetExceeded(cb: () => void): void;
}

export interface Probe {
  readonly name: string;
  /**
   * The probe attaches to the held entrypoint from the host (strace, eBPF, perf, ftrace): the
   * sandbox starts it stopped. False for probes that record from the sandbox's own start (gVisor).
   */
  readonly attachesToProcess: boolean;
  /** Docker runtime the sandbox must be created with for this probe (gVisor's `runsc-trace`); default per runtime. */
  readonly dockerRuntimeName?: string;
  /** The probe stops the sample at every syscall (ptrace): run both on one CPU (see SandboxSpec.cpu). */
  readonly sharesCpuWithSample?: boolean;
  /** Fields this probe cannot supply (rules needing them are reported as not evaluated). */
  readonly unavailableFields: ReadonlySet<string>;
  /**
   * Event types this probe produces, when it traces only some syscalls (eBPF's program); undefined
   * when it sees every syscall. Rules on other event types are reported as not evaluated.
   */
  readonly eventTypes?: ReadonlySet<string>;
  /** Attaches to the stopped target; resolves once attached, so releasing the target loses nothing. */
  attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession>;
  /**
   * Optional: starts the probe's slow part (e.g. loading the ebpf program) before the sandbox
   * exists, so it overlaps the sandbox's creation; the returned handle attaches it to the target
   * later. Never throws: a failed preparation surfaces from `attach`.
   */
  prepare?(tracePath: string, opts: { budgetBytes: number }): PreparedProbe;
}

/** A probe started before its sandbox (Probe.prepare): attach it to the held target, or discard it. */
export interface PreparedProbe {
  /** Scopes the prepared probe to the stopped target; resolves once attached, as Probe.attach. At most once. */
  attach(target: ProbeTarget): Promise<ProbeSession>;
  /** The sandbox never came (or the attach failed): stops the prepared probe. Idempotent; a no-op once attached. */
  discard(): Promise<void>;
}

export class ProbeStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeStartError';
  }
}
