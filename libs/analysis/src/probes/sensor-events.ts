/**
 * What the host-sensor ingestion parsers (Falco alerts, Tracee events: `falco-parser.ts`,
 * `tracee-parser.ts`) share: reading one JSON object per line with the probe's header line, the
 * sensors' timestamps and errno numbers, and the table of processes that infers the fork/exec
 * history a sparse sensor stream does not carry.
 */
import type { EventSource, RawEvent } from '../events/event.js';
import { ERRNO } from './errno.js';
import { countUnparsed, type ParserStats } from './trace-parser.js';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/**
 * The common start of every sensor line: counts it, skips blank lines, parses one JSON object (else
 * counts the line unparsed) and takes the probe's header line (`{"quarantine": {…}}`, the sandbox
 * target). Returns the object to handle, or undefined when the line needs nothing more.
 */
export function readSensorLine(line: string, stats: ParserStats, procs: SensorProcessTable): JsonObject | undefined {
  stats.lines++;
  if (line.length === 0 || line.trim() === '') return undefined;
  let o: Json;
  try {
    o = JSON.parse(line) as Json;
  } catch {
    countUnparsed(stats, line);
    return undefined;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) { countUnparsed(stats, line); return undefined; }
  if ('quarantine' in o) { stats.detail.headerLines!++; procs.header(o); return undefined; }
  return o;
}

let errnoByNumber: Map<number, string> | undefined;
/** `-2` → `ENOENT` (undefined when unknown). */
export function errnoName(n: number): string | undefined {
  if (errnoByNumber === undefined) {
    errnoByNumber = new Map();
    for (const [k, v] of Object.entries(ERRNO)) if (!errnoByNumber.has(v)) errnoByNumber.set(v, k);
  }
  return errnoByNumber.get(-n);
}

/** `2024-05-01T10:00:00.123456789Z` (or with an offset) → ns since the epoch; NaN if not a date. */
export function isoToNs(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(s);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  if (Number.isNaN(ms)) return NaN;
  const frac = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  return ms * 1e6 + Number(frac);
}

/** The process an event of a host sensor belongs to, as the sensor reports it. */
export interface SensorProcess {
  /** Host pid (thread group id). */
  pid: number;
  /** Host tid. */
  tid: number;
  /** Host pid of the parent, if reported. */
  ppid?: number;
  /** comm / proc.name. */
  name: string;
  /** Executable path (proc.exepath), '' if unknown. */
  exepath: string;
  /** argv including argv[0]; empty if unknown. */
  args: string[];
}

export interface SensorParent {
  name: string;
  exepath: string;
  args: string[];
}

const WRAPPER_EXE = '/.quarantine/hold';

interface Identity {
  exepath: string;
  /** comm (15 chars). */
  comm: string;
  args: readonly string[];
}

function commOf(name: string, exepath: string): string {
  const base = exepath !== '' ? exepath.slice(exepath.lastIndexOf('/') + 1) : name;
  return (base || name).slice(0, 15);
}

/** Same process image? Compares what both sides know: exe path (else comm), and argv when both have one. */
function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.exepath !== '' && b.exepath !== '') { if (a.exepath !== b.exepath) return false; }
  else if (a.comm !== b.comm) return false;
  if (a.args.length === 0 || b.args.length === 0) return true;
  if (a.args.length !== b.args.length) return false;
  for (let i = 0; i < a.args.length; i++) if (a.args[i] !== b.args[i]) return false;
  return true;
}

/**
 * What the tracker must have seen before an event of a process it does not know: a parent link and
 * an exec that names the process. Host sensors (Falco alerts, Tracee events of processes that
 * started before the stream) do not always carry those; this table infers them. Memory: one entry
 * per live process.
 */
export class SensorProcessTable {
  /** host pid → identity shown to the tracker (undefined value: known, unnamed). */
  private readonly known = new Map<number, Identity | undefined>();
  private readonly tids = new Set<number>();
  /** Synthetic pids for processes the sensor names without a pid (Falco outputs without %proc.pid). */
  private readonly synthetic = new Map<string, number>();
  private nextSynthetic = 0x40000000;
  private wrapperPid = -1;

  constructor(
    private readonly source: EventSource,
    private readonly emit: (ev: RawEvent) => void,
    private readonly stats: ParserStats,
  ) {
    stats.detail.inferredExecs = 0;
  }

  static key(exepath: string, name: string, args: readonly string[]): string {
    return `${exepath || name}\u0000${args.join('\u0000')}`;
  }

  /** A stable made-up pid for a process named but not numbered by the sensor. */
  syntheticPid(key: string): number {
    let p = this.synthetic.get(key);
    if (p === undefined) {
      p = this.nextSynthetic++;
      this.synthetic.set(key, p);
    }
    return p;
  }

  has(pid: number): boolean {
    return this.known.has(pid);
  }

  /**
   * The held entrypoint wrapper's host pid (from the probe's header line). Until it execs, the
   * tracker hides it; an inferred exec of the wrapper itself would pass for the entrypoint's start.
   */
  setWrapper(pid: number): void {
    this.wrapperPid = pid;
  }

  /** Reads the probe's header line (`{"quarantine": {hostPid, …}}`). */
  header(o: Record<string, unknown>): void {
    const q = o.quarantine as Record<string, unknown> | null;
    if (q !== null && typeof q === 'object' && typeof q.hostPid === 'number') this.setWrapper(q.hostPid);
  }

  /**
   * Makes sure the tracker knows `p` (and its parent, when the sensor names it) before the event
   * `ev` of `p` is emitted. Sets `ev.hints.parentPid` / `cloneFlags` when `ev` is the first event of
   * a new process or thread. Emits an inferred execve when the identity is new or changed.
   */
  ensure(p: SensorProcess, ts: number, ev: RawEvent, parent?: SensorParent): void {
    const isWrapper = p.pid === this.wrapperPid && (p.exepath === WRAPPER_EXE || (p.exepath === '' && p.name === 'hold'));
    const named = !isWrapper && (p.name !== '' || p.exepath !== '');
    const id: Identity | undefined = named ? { exepath: p.exepath, comm: commOf(p.name, p.exepath), args: p.args } : undefined;
    if (!this.known.has(p.pid)) {
      let parentPid: number | undefined;
      if (p.ppid !== undefined && p.ppid > 0) {
        if (!this.known.has(p.ppid) && parent !== undefined && (parent.name !== '' || parent.exepath !== '')) {
          this.inferExec(p.ppid, ts, { exepath: parent.exepath, comm: commOf(parent.name, parent.exepath), args: parent.args }, undefined);
        }
        if (this.known.has(p.ppid)) parentPid = p.ppid;
      }
      const pid = parentPid !== undefined ? this.known.get(parentPid) : undefined;
      if (p.tid === p.pid && (id === undefined || (parentPid !== undefined && pid !== undefined && sameIdentity(pid, id)))) {
        // Unnamed, or named like its parent (a forked child that did not exec): the parent link only.
        this.known.set(p.pid, id ?? pid);
        this.tids.add(p.pid);
        if (parentPid !== undefined) setHint(ev, 'parentPid', parentPid);
      } else {
        this.inferExec(p.pid, ts, id ?? { exepath: '', comm: '', args: [] }, parentPid);
      }
    } else if (id !== undefined && ev.type !== 'execve' && ev.type !== 'execveat') {
      const have = this.known.get(p.pid);
      // The process exec'd something the sensor did not report.
      if (have === undefined || !sameIdentity(have, id)) this.inferExec(p.pid, ts, id, undefined);
    }
    if (p.tid !== p.pid && !this.tids.has(p.tid)) {
      this.tids.add(p.tid);
      setHint(ev, 'parentPid', p.pid);
      setHint(ev, 'cloneFlags', 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD');
    }
  }

  /** A real exec reported by the sensor: the process now has this identity. */
  execed(pid: number, exepath: string, name: string, args: readonly string[]): void {
    this.known.set(pid, { exepath, comm: commOf(name, exepath), args });
    this.tids.add(pid);
  }

  /** A fork the tracker learns from the clone event itself (`hints.childPid`): the child starts as its parent. */
  forked(child: number, parent: number): void {
    this.known.set(child, this.known.get(parent));
    this.tids.add(child);
  }

  /** The process (or thread) exited. */
  exited(pid: number, tid: number): void {
    this.tids.delete(tid);
    if (tid === pid) this.known.delete(pid);
  }

  private inferExec(pid: number, ts: number, id: Identity, parentPid: number | undefined): void {
    this.known.set(pid, id);
    this.tids.add(pid);
    const exe = id.exepath || id.comm;
    const argv = id.args.length > 0 ? [...id.args] : exe ? [exe] : [];
    const ev: RawEvent = {
      ts, source: this.source, type: 'execve', res: 0, rawres: 0, pid, tid: pid,
      args: { filename: exe, args: argv.slice(1).join(' '), inferred: 1 },
      proc: { args: argv, exe: argv[0] ?? exe },
      hints: { inferred: true },
    };
    if (parentPid !== undefined) ev.hints!.parentPid = parentPid;
    this.stats.detail.inferredExecs!++;
    this.stats.events++;
    this.emit(ev);
  }
}

function setHint(ev: RawEvent, k: string, v: string | number | boolean): void {
  (ev.hints ??= {})[k] = v;
}
