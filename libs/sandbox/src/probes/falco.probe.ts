import { createReadStream } from 'node:fs';
import { open, stat, writeFile } from 'node:fs/promises';
import { type Probe, type ProbeSession, ProbeStartError, type ProbeStats, type ProbeTarget } from './probe.js';

/**
 * Host sensors (Falco, Tracee) run as daemons on the Docker host and append JSON lines for every
 * container to one file. A session records the file's size at attach (while the entrypoint is still
 * held, so nothing of the sample precedes it) and, at stop, copies the lines written since that
 * belong to this sandbox's container (short or full id) into the trace file, after a header line
 * naming the target. Nothing runs inside the sandbox: the sample cannot see or kill the sensor.
 */
export interface HostSensorOptions {
  /** The JSON-lines file the sensor writes (FALCO_EVENTS_FILE / TRACEE_EVENTS_FILE). */
  eventsFile?: string;
  /** How long the file must stay unchanged at stop before it is read (sensors buffer). Default 1000 ms. */
  settleMs?: number;
}

export interface SensorLine {
  containerId?: string;
  /** Host pid of the event's process, when the line carries it. */
  pid?: number;
  /** Events the sensor says it dropped (Falco's internal drop alerts), host-wide. */
  drops?: number;
}

export abstract class HostSensorProbe implements Probe {
  abstract readonly name: string;
  abstract readonly unavailableFields: ReadonlySet<string>;
  /** The environment variable that configures `eventsFile` (for messages). */
  protected abstract readonly envVar: string;
  readonly attachesToProcess = true;

  constructor(protected readonly options: HostSensorOptions = {}) {}

  /** What the probe needs of one line; undefined when the line is not JSON. */
  protected abstract inspect(o: Record<string, unknown>): SensorLine;

  async attach(target: ProbeTarget, tracePath: string, opts: { budgetBytes: number }): Promise<ProbeSession> {
    const file = this.options.eventsFile?.trim();
    if (!file) throw new ProbeStartError(`${this.name}: ${this.envVar} is not set: no ${this.name} events file to read`);
    const st = await stat(file).catch(() => undefined);
    if (!st || !st.isFile()) throw new ProbeStartError(`${this.name}: events file ${file} (${this.envVar}) does not exist: is ${this.name} running with JSON output to it?`);
    const header = { quarantine: { probe: this.name, containerId: target.containerId, hostPid: target.hostPid ?? null, initPid: target.initPid, eventsFile: file, offset: st.size } };
    await writeFile(tracePath, `${JSON.stringify(header)}\n`);
    return new HostSensorSession(this, target, file, st.size, tracePath, opts.budgetBytes, this.options.settleMs ?? 1000);
  }

  /** @internal */
  lineInfo(o: Record<string, unknown>): SensorLine {
    return this.inspect(o);
  }
}

function sameContainer(id: string | undefined, full: string): boolean {
  if (!id) return false;
  return id === full || (id.length >= 12 && full.startsWith(id));
}

class HostSensorSession implements ProbeSession {
  private budgetCbs: (() => void)[] = [];

  constructor(
    private readonly probe: HostSensorProbe,
    private readonly target: ProbeTarget,
    private readonly eventsFile: string,
    private readonly offset: number,
    readonly tracePath: string,
    private readonly budgetBytes: number,
    private readonly settleMs: number,
  ) {}

  onBudgetExceeded(cb: () => void): void {
    this.budgetCbs.push(cb);
  }

  /** Waits until the sensor's file stops growing for settleMs (at most graceMs). */
  private async settle(graceMs: number): Promise<number> {
    const deadline = Date.now() + Math.max(graceMs, this.settleMs);
    let last = (await stat(this.eventsFile).catch(() => undefined))?.size ?? -1;
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const size = (await stat(this.eventsFile).catch(() => undefined))?.size ?? -1;
      if (size !== last) { last = size; since = Date.now(); }
      else if (Date.now() - since >= this.settleMs) break;
    }
    return last;
  }

  async stop(graceMs: number): Promise<ProbeStats> {
    const name = this.probe.name;
    const size = await this.settle(graceMs);
    const stats: ProbeStats = { probe: name, records: 0, bytes: 0, lost: 0, complete: true, exitCode: null, budgetExceeded: false };
    if (size < 0) return { ...stats, complete: false, stopError: `${name}: events file ${this.eventsFile} disappeared during the run` };
    let start = this.offset;
    if (size < this.offset) {
      // Rotated or truncated: what was written before the rotation is gone.
      stats.complete = false;
      stats.stopError = `${name}: events file ${this.eventsFile} was truncated or rotated during the run; events may be missing`;
      start = 0;
    }
    const out = await open(this.tracePath, 'a');
    const full = this.target.containerId;
    const short = full.slice(0, 12);
    let pendingBuf = '';
    try {
      const input = createReadStream(this.eventsFile, { start, end: Math.max(start, size) - 1, encoding: 'utf8' });
      const handle = async (line: string) => {
        if (line === '') return;
        const mayBeOurs = line.includes(short);
        const mayBeDrop = !mayBeOurs && line.includes('drop');
        if (!mayBeOurs && !mayBeDrop) return;
        let o: unknown;
        try { o = JSON.parse(line); } catch { return; }
        if (o === null || typeof o !== 'object' || Array.isArray(o)) return;
        const info = this.probe.lineInfo(o as Record<string, unknown>);
        if (info.drops !== undefined) { stats.lost += info.drops; return; }
        if (!sameContainer(info.containerId, full)) return;
        if (info.pid !== undefined && info.pid === this.target.initPid) return; // Docker's init, not the sample
        if (stats.budgetExceeded) return;
        const bytes = Buffer.byteLength(line) + 1;
        if (stats.bytes + bytes > this.budgetBytes) {
          stats.budgetExceeded = true;
          stats.complete = false;
          for (const cb of this.budgetCbs) cb();
          return;
        }
        stats.records++;
        stats.bytes += bytes;
        await out.write(`${line}\n`);
      };
      if (size > start) {
        for await (const chunk of input) {
          const text = pendingBuf + (chunk as string);
          let s = 0;
          let nl = text.indexOf('\n');
          while (nl >= 0) {
            await handle(text.slice(s, nl));
            s = nl + 1;
            nl = text.indexOf('\n', s);
          }
          pendingBuf = text.slice(s);
        }
        // A last line without its newline may still be being written: take it only if it parses.
        if (pendingBuf !== '') await handle(pendingBuf);
      } else input.destroy();
    } catch (e) {
      stats.complete = false;
      stats.stopError = `${name}: reading ${this.eventsFile} failed: ${(e as Error).message}`;
    } finally {
      await out.close();
    }
    return stats;
  }
}

/**
 * Falco fields the engine cannot rely on when the trace is Falco's alerts: an alert carries only
 * the fields its rule output names, and the alert stream has no fork/exec/open/write history, so
 * what the tracker derives from history (drift, memfd execs, sessions, ancestors beyond the parent,
 * durations, capabilities, socket state, write buffers, environment) is not there. Rules needing
 * these are reported as not evaluated; Falco's own alerts still count as findings.
 */
export const FALCO_UNAVAILABLE_FIELDS: readonly string[] = [
  'user.loginuid', 'evt.buffer', 'evt.buflen', 'proc.env', 'proc.is_exe_upper_layer', 'proc.is_exe_from_memfd',
  'fd.name_changed', 'fd.connected', 'fd.is_server', 'proc.duration', 'proc.ppid.duration', 'proc.sid', 'proc.sname',
  'proc.is_sid_leader', 'proc.vpgid', 'proc.vpgid.name', 'proc.vpgid.exe', 'proc.is_vpgid_leader', 'proc.loginshellid',
  'proc.aname', 'proc.aexe', 'proc.aexepath', 'proc.acmdline', 'proc.apid', 'thread.cap_effective', 'thread.cap_permitted',
  // downloads tied to execs need drift (is_exe_upper_layer) and the connects' addresses
  'proc.is_exe_downloaded', 'proc.exe_download_url',
];

/** Ingests Falco JSON alerts (`json_output: true`, file output) for this sandbox's container. */
export class FalcoProbe extends HostSensorProbe {
  readonly name = 'falco';
  protected readonly envVar = 'FALCO_EVENTS_FILE';
  readonly unavailableFields: ReadonlySet<string> = new Set(FALCO_UNAVAILABLE_FIELDS);

  protected inspect(o: Record<string, unknown>): SensorLine {
    const f = (o.output_fields ?? {}) as Record<string, unknown>;
    if (typeof o.rule === 'string' && o.rule.startsWith('Falco internal: syscall event drop')) {
      const n = Number(f.n_drops ?? f['n_drops'] ?? 1);
      return { drops: Number.isFinite(n) && n > 0 ? n : 1 };
    }
    const id = typeof f['container.full_id'] === 'string' ? f['container.full_id'] : typeof f['container.id'] === 'string' ? f['container.id'] : undefined;
    const pid = typeof f['proc.pid'] === 'number' ? f['proc.pid'] : undefined;
    return { ...(id !== undefined ? { containerId: id } : {}), ...(pid !== undefined ? { pid } : {}) };
  }
}
