import { type FileHandle, open } from 'node:fs/promises';
import type { HostSensorProbe } from '../probes/falco.probe.js';
import type { ProbeSession, ProbeStats } from '../probes/probe.js';

/**
 * Trace lines that arrive through the pod log API before the worker names the trace file are kept
 * in memory (the sample runs as soon as the probe is attached, a few ms before), then written in
 * order. The budget counts every byte; past it, nothing more is kept and the sandbox is killed.
 */
export class TraceWriter {
  private fh?: FileHandle;
  private buffered: string[] = [];
  private budgetCbs: (() => void)[] = [];
  records = 0;
  bytes = 0;
  budgetExceeded = false;
  /** When the last line arrived (written or not). */
  lastLineAt = 0;
  private budgetBytes = Number.POSITIVE_INFINITY;
  private closed = false;

  async open(path: string, budgetBytes: number): Promise<void> {
    this.budgetBytes = budgetBytes;
    this.fh = await open(path, 'w');
    const early = this.buffered;
    this.buffered = [];
    this.bytes = 0;
    this.records = 0;
    for (const line of early) await this.write(line);
  }

  onBudgetExceeded(cb: () => void): void {
    this.budgetCbs.push(cb);
    if (this.budgetExceeded) cb();
  }

  async write(line: string): Promise<void> {
    this.lastLineAt = Date.now();
    if (this.closed || this.budgetExceeded) return;
    const n = Buffer.byteLength(line) + 1;
    if (this.bytes + n > this.budgetBytes) {
      this.budgetExceeded = true;
      for (const cb of this.budgetCbs) cb();
      return;
    }
    this.bytes += n;
    this.records++;
    if (this.fh) await this.fh.write(`${line}\n`);
    else this.buffered.push(line);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}

const DRAIN_QUIET_MS = 150;

/** What the probe agent (sidecar) reports through its `#quarantine-probe` control lines. */
export interface AgentState {
  held?: { pid: number; uid: number; gid: number };
  attached?: number;
  failed?: string;
  exitCode?: number;
}

/**
 * The strace sidecar's session: the log stream is already flowing (opened when the probe container
 * started); stop waits for the agent's `exit` line (strace ends when its last tracee does) or the
 * end of the stream, at most `graceMs`, then closes the stream.
 */
export class SidecarTraceSession implements ProbeSession {
  constructor(
    readonly tracePath: string,
    private readonly writer: TraceWriter,
    private readonly agent: AgentState,
    private readonly finished: Promise<void>,
    private readonly abortStream: () => void,
  ) {}

  onBudgetExceeded(cb: () => void): void {
    this.writer.onBudgetExceeded(cb);
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.finished,
      new Promise<void>((r) => {
        timer = setTimeout(() => {
          timedOut = true;
          r();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
    // strace's output passes through a `cat` that may still flush after strace's end: drain until quiet.
    const drainUntil = Date.now() + Math.min(1000, graceMs);
    while (!timedOut && Date.now() < drainUntil && Date.now() - this.writer.lastLineAt < DRAIN_QUIET_MS) {
      await new Promise((r) => setTimeout(r, 25));
    }
    this.abortStream();
    await this.writer.close();
    const exitCode = this.agent.exitCode ?? null;
    // The sample shares the pod's pid namespace with the probe: a root sample (or one with CAP_KILL)
    // can signal strace. That cannot be prevented there, only detected: the run is then incomplete.
    const stopError = this.agent.failed
      ? `probe agent: ${this.agent.failed}`
      : exitCode === null
        ? `strace's end was not seen in the probe log${timedOut ? ` within ${graceMs} ms` : ''} (the probe was killed, the pod was killed, or the stream ended early); the trace may be cut short`
        : exitCode >= 128
          ? `strace was killed by signal ${exitCode - 128} before the sample ended; the trace is cut short`
          : exitCode !== 0
            ? `strace exited with code ${exitCode}`
            : undefined;
    return {
      probe: 'strace',
      records: this.writer.records,
      bytes: this.writer.bytes,
      lost: 0,
      stopError,
      complete: exitCode === 0 && !this.agent.failed && !this.writer.budgetExceeded,
      exitCode,
      budgetExceeded: this.writer.budgetExceeded,
    };
  }
}

export interface SensorScope {
  namespace: string;
  /** The sample container's id without the runtime scheme. */
  containerId: string;
}

/** The namespace a Falco / Tracee JSON line names, when it names one. */
export function sensorLineNamespace(o: Record<string, unknown>): string | undefined {
  const f = o.output_fields as Record<string, unknown> | undefined;
  if (f && typeof f['k8s.ns.name'] === 'string') return f['k8s.ns.name'];
  const k = o.kubernetes as Record<string, unknown> | undefined;
  if (k && typeof k.podNamespace === 'string') return k.podNamespace;
  const w = o.workload as { k8s?: { namespace?: { name?: unknown } } } | undefined;
  if (typeof w?.k8s?.namespace?.name === 'string') return w.k8s.namespace.name;
  return undefined;
}

/**
 * Keeps the lines of a node's Falco / Tracee log that belong to this sandbox: the sample's
 * container id when the line carries one, else the sandbox namespace. Drop reports count as lost.
 */
export class SensorFilter {
  lost = 0;

  constructor(
    private readonly probe: HostSensorProbe,
    private readonly scope: SensorScope,
  ) {}

  accept(line: string): boolean {
    if (line === '' || line[0] !== '{') return false;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return false;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
    const rec = o as Record<string, unknown>;
    const info = this.probe.lineInfo(rec);
    if (info.drops !== undefined) {
      this.lost += info.drops;
      return false;
    }
    if (info.containerId) {
      const id = info.containerId;
      return id === this.scope.containerId || (id.length >= 12 && this.scope.containerId.startsWith(id));
    }
    return sensorLineNamespace(rec) === this.scope.namespace;
  }
}

/**
 * A Falco / Tracee DaemonSet's session: its log (from before the sample started, by `sinceTime`)
 * is followed through the API and filtered to this sandbox; stop waits until the stream has been
 * quiet for `settleMs` (sensors buffer), at most `graceMs`.
 */
export class SensorTraceSession implements ProbeSession {
  private lastLineAt = Date.now();
  /** Named when the worker attaches (the stream is followed from the sandbox's start). */
  tracePath = '';

  constructor(
    private readonly probeName: string,
    private readonly writer: TraceWriter,
    private readonly filter: SensorFilter,
    private readonly abortStream: () => void,
    private readonly ended: () => boolean,
    private readonly settleMs: number,
  ) {}

  /** Called for every line the sensor stream delivers. */
  async line(line: string): Promise<void> {
    this.lastLineAt = Date.now();
    if (this.filter.accept(line)) await this.writer.write(line);
  }

  onBudgetExceeded(cb: () => void): void {
    this.writer.onBudgetExceeded(cb);
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    const deadline = Date.now() + Math.max(graceMs, this.settleMs);
    let streamEnded = false;
    while (Date.now() < deadline) {
      if (this.ended()) {
        streamEnded = true;
        break;
      }
      if (Date.now() - this.lastLineAt >= this.settleMs) break;
      await new Promise((r) => setTimeout(r, Math.min(100, this.settleMs)));
    }
    this.abortStream();
    await this.writer.close();
    return {
      probe: this.probeName,
      records: this.writer.records,
      bytes: this.writer.bytes,
      lost: this.filter.lost,
      complete: !streamEnded && !this.writer.budgetExceeded,
      stopError: streamEnded ? `${this.probeName}: the sensor's log stream ended during the run (sensor pod restarted?); events may be missing` : undefined,
      exitCode: null,
      budgetExceeded: this.writer.budgetExceeded,
    };
  }
}
