/**
 * Parser of Falco JSON alerts (`json_output: true`, one alert per line) into RawEvents.
 *
 * Falco decides itself which events matter: its output holds only alerts, and an alert carries only
 * the fields its rule's output names (`output_fields`). Each alert becomes
 *   - one RawEvent of type `evt.type` (or `falco_alert` when the rule output has no `evt.type`), with
 *     process, fd and argument data taken from `output_fields`, so our own rules can match it too;
 *   - a probe alert: `hints.alert` (Falco's rule name), `alertPriority`, `alertTags`, `alertOutput`,
 *     `alertSource`, which the pipeline turns into a finding (Falco already decided it matched).
 * Because alerts are sparse (no fork/exec history), the parser keeps a small table of the processes it
 * has shown the tracker and emits an inferred `execve` (`hints.inferred`, `args.inferred = 1`) the first
 * time a process appears, or when its identity changed, so `proc.*` and `proc.p*` fields resolve.
 *
 * Written from Falco's documented JSON output (userspace/engine/formats.cpp, falco.yaml `json_output`,
 * https://falco.org/docs/concepts/outputs/formatting/); the fixtures are written from those documents,
 * not captured (Falco cannot run on this machine). See probes/README.md.
 */
import type { FdType, RawEvent } from '../events/event.js';
import { ERRNO } from './errno.js';
import { errnoName, isoToNs, type Json, type JsonObject, readSensorLine, type SensorParent, SensorProcessTable } from './sensor-events.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

/** Falco priority names (any case; `Info` is Falco's short form) → our Priority names. */
const PRIORITIES: Readonly<Record<string, string>> = {
  emergency: 'emergency', alert: 'alert', critical: 'critical', error: 'error', warning: 'warning',
  notice: 'notice', informational: 'informational', info: 'informational', debug: 'debug',
};

export function normalizePriority(p: unknown): string {
  return (typeof p === 'string' && PRIORITIES[p.toLowerCase()]) || 'warning';
}

const FD_TYPES: ReadonlySet<string> = new Set<FdType>([
  'file', 'directory', 'ipv4', 'ipv6', 'unix', 'netlink', 'packet', 'memfd', 'pipe', 'event', 'signalfd', 'timerfd', 'inotify', 'bpf',
]);

export function fdType(t: unknown): FdType {
  if (typeof t !== 'string') return 'unknown';
  if (t === 'eventpoll') return 'event';
  return FD_TYPES.has(t) ? (t as FdType) : 'unknown';
}

/** Splits `ip:port->ip:port` (Falco/strace fd.name of a connected socket). */
export function splitTuple(name: string): { cip?: string; cport?: number; sip?: string; sport?: number } | undefined {
  const arrow = name.indexOf('->');
  if (arrow < 0) return undefined;
  const side = (s: string): [string, number] | undefined => {
    const c = s.lastIndexOf(':');
    if (c <= 0) return undefined;
    const port = Number(s.slice(c + 1));
    if (!Number.isInteger(port)) return undefined;
    return [s.slice(0, c).replace(/^\[|\]$/g, ''), port];
  };
  const l = side(name.slice(0, arrow));
  const r = side(name.slice(arrow + 2));
  if (!r) return undefined;
  return { ...(l ? { cip: l[0], cport: l[1] } : {}), sip: r[0], sport: r[1] };
}

function setHint(ev: RawEvent, k: string, v: string | number | boolean): void {
  (ev.hints ??= {})[k] = v;
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function int(v: Json | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

/** Splits Falco's space-joined `proc.args` back into words (lossy: Falco does not quote). */
function words(s: string | undefined): string[] {
  if (s === undefined || s === '') return [];
  return s.split(' ').filter((w) => w !== '');
}

export interface FalcoParserOptions {
  /** Cap of `alertOutput` kept on the event. Default 1000 chars. */
  outputCap?: number;
}

/** First placeholder for fds an alert does not number (Falco outputs rarely name %fd.num). */
const FD_PLACEHOLDER_BASE = 1_000_000;

export class FalcoParser implements TraceParser {
  readonly source = 'falco' as const;
  readonly stats: ParserStats = emptyStats();
  private readonly procs: SensorProcessTable;
  private readonly outputCap: number;
  private nextFd = FD_PLACEHOLDER_BASE;
  private lastTs = 0;

  constructor(private readonly sink: RawEventSink, options: FalcoParserOptions = {}) {
    this.outputCap = options.outputCap ?? 1000;
    this.procs = new SensorProcessTable('falco', sink, this.stats);
    const d = this.stats.detail;
    d.alerts = 0; d.nonSyscallAlerts = 0; d.withoutPid = 0; d.outOfOrder = 0; d.headerLines = 0;
  }

  write(line: string): void {
    const o = readSensorLine(line, this.stats, this.procs);
    if (o === undefined) return;
    if (typeof o.rule !== 'string' || o.rule === '') return this.unparsed(line);
    this.alert(o);
  }

  end(): void {}

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }

  private alert(o: JsonObject): void {
    const d = this.stats.detail;
    d.alerts!++;
    const f: JsonObject = o.output_fields !== null && typeof o.output_fields === 'object' && !Array.isArray(o.output_fields) ? o.output_fields : {};
    if (typeof o.source === 'string' && o.source !== 'syscall') d.nonSyscallAlerts!++;
    let ts = int(f['evt.rawtime']) ?? int(f['evt.time']) ?? NaN;
    if (Number.isNaN(ts) && typeof o.time === 'string') ts = isoToNs(o.time);
    if (Number.isNaN(ts)) ts = this.lastTs;
    if (ts < this.lastTs) d.outOfOrder!++;
    else this.lastTs = ts;

    const name = str(f['proc.name']) ?? '';
    const exepath = str(f['proc.exepath']) ?? '';
    const exe = str(f['proc.exe']) ?? (exepath || name);
    const argWords = words(str(f['proc.args']));
    const cmdline = str(f['proc.cmdline']);
    const argv = argWords.length > 0 || exe !== '' ? [exe, ...argWords] : words(cmdline);
    let pid = int(f['proc.pid']);
    if (pid === undefined) {
      d.withoutPid!++;
      pid = name !== '' || exe !== '' ? this.procs.syntheticPid(SensorProcessTable.key(exepath, name, argv)) : this.procs.syntheticPid('\u0000unknown');
    }
    const tid = int(f['thread.tid']) ?? pid;
    const pname = str(f['proc.pname']) ?? '';
    const pexepath = str(f['proc.pexepath']) ?? '';
    const pcmd = words(str(f['proc.pcmdline']));
    let ppid = int(f['proc.ppid']);
    if (ppid === undefined && pname !== '') ppid = this.procs.syntheticPid(SensorProcessTable.key(pexepath, pname, pcmd));

    const type = str(f['evt.type']) ?? 'falco_alert';
    const ev: RawEvent = { ts, source: 'falco', type, res: 0, rawres: 0, pid, tid, args: {} };
    this.result(ev, f);
    for (const k in f) {
      if (k.startsWith('evt.arg.')) {
        const v = f[k];
        if (typeof v === 'string' || typeof v === 'number') ev.args[k.slice(8)] = v;
      }
    }
    this.decode(ev, f, argv, exepath || exe);

    const isExec = (type === 'execve' || type === 'execveat') && ev.rawres >= 0;
    const parent: SensorParent | undefined = pname !== '' || pexepath !== '' ? { name: pname, exepath: pexepath, args: pcmd.length > 0 ? [pexepath || pname, ...pcmd.slice(1)] : [] } : undefined;
    if (isExec && !this.procs.has(pid)) {
      // A new process whose first sign is its exec: only the parent link is needed.
      this.procs.ensure({ pid, tid, ...(ppid !== undefined ? { ppid } : {}), name: '', exepath: '', args: [] }, ts, ev, parent);
    } else {
      this.procs.ensure({ pid, tid, ...(ppid !== undefined ? { ppid } : {}), name, exepath: exepath || exe, args: argv }, ts, ev, parent);
    }
    if (isExec) this.procs.execed(pid, exepath || exe, name, argv);

    const h = (ev.hints ??= {});
    h.alert = o.rule as string;
    h.alertPriority = normalizePriority(o.priority);
    h.alertTags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string').join(',') : '';
    const out = typeof o.output === 'string' ? o.output : `${o.rule as string}`;
    h.alertOutput = out.length > this.outputCap ? out.slice(0, this.outputCap) : out;
    h.alertSource = 'falco';
    this.stats.events++;
    this.sink(ev);
    if (type === 'procexit') this.procs.exited(pid, tid);
  }

  /** evt.rawres / evt.res → res, rawres. */
  private result(ev: RawEvent, f: JsonObject): void {
    const raw = int(f['evt.rawres']);
    const res = str(f['evt.res']);
    if (raw !== undefined) {
      ev.rawres = raw;
      ev.res = raw < 0 ? (errnoName(raw) ?? raw) : raw;
    }
    if (res !== undefined && res !== 'SUCCESS' && /^E[A-Z0-9_]+$/.test(res)) {
      ev.res = res;
      if (raw === undefined) ev.rawres = -(ERRNO[res] ?? 1);
    }
  }

  private placeholderFd(): number {
    return this.nextFd++;
  }

  /** Type-specific arguments (Falco names) from the fd and path fields of the alert. */
  private decode(ev: RawEvent, f: JsonObject, argv: string[], exe: string): void {
    const fdName = str(f['fd.name']);
    const fdNum = int(f['fd.num']);
    const ft = fdType(f['fd.type']);
    const ok = ev.rawres >= 0 && typeof ev.res !== 'string';
    switch (ev.type) {
      case 'execve': case 'execveat': {
        const filename = str(f['evt.arg.filename']) ?? str(f['proc.exepath']) ?? exe;
        if (ev.type === 'execve') ev.args.filename = filename;
        else ev.args.pathname = filename;
        ev.proc = { args: argv, exe: argv[0] ?? filename };
        ev.args.args = argv.slice(1).join(' ');
        return;
      }
      case 'open': case 'openat': case 'openat2': case 'creat': {
        const path = fdName ?? str(f['fs.path.name']) ?? str(f['evt.arg.name']);
        if (path !== undefined) ev.args.name = path;
        if (ev.type !== 'open' && ev.type !== 'creat' && ev.args.dirfd === undefined) ev.args.dirfd = -100;
        if (ok) {
          const n = fdNum ?? this.placeholderFd();
          ev.res = n;
          ev.rawres = n;
          ev.args.fd = n;
          ev.fd = { num: n, type: ft === 'unknown' ? 'file' : ft, name: path ?? '' };
        }
        return;
      }
      case 'connect': case 'sendto': case 'sendmsg': case 'bind': {
        const n = fdNum ?? int(f['evt.arg.fd']) ?? this.placeholderFd();
        ev.args.fd = n;
        const t = fdName !== undefined ? splitTuple(fdName) : undefined;
        const ip = str(f['fd.sip']) ?? str(f['fd.rip']) ?? t?.sip;
        const port = int(f['fd.sport']) ?? int(f['fd.rport']) ?? t?.sport;
        const type: FdType = ft !== 'unknown' ? ft : ip !== undefined && ip.includes(':') ? 'ipv6' : ip !== undefined ? 'ipv4' : 'unknown';
        if (ev.type === 'bind') {
          if (ip !== undefined) { setHint(ev, 'ip', ip); ev.args.addr = `${ip}:${port ?? 0}`; }
        } else if (ip !== undefined) {
          setHint(ev, 'ip', ip);
          if (port !== undefined) setHint(ev, 'port', port);
          ev.args[ev.type === 'connect' ? 'addr' : 'tuple'] = `${ip}:${port ?? 0}`;
        } else if (type === 'unix' && fdName !== undefined) {
          setHint(ev, 'path', fdName);
          ev.args.addr = fdName;
        }
        if (port !== undefined && ev.type === 'bind') setHint(ev, 'port', port);
        ev.fd = { num: n, type, name: fdName ?? '' };
        return;
      }
      default: {
        if (fdName !== undefined || fdNum !== undefined) {
          const n = fdNum ?? int(f['evt.arg.fd']) ?? this.placeholderFd();
          if (ev.args.fd === undefined) ev.args.fd = n;
          ev.fd = { num: n, type: ft, name: fdName ?? '' };
        }
        for (const [k, a] of [['fs.path.name', 'path'], ['fs.path.source', 'oldpath'], ['fs.path.target', 'newpath']] as const) {
          const v = str(f[k]);
          if (v !== undefined && ev.args[a] === undefined) ev.args[a] = v;
        }
      }
    }
  }
}

/** Creates a Falco alert parser (factory shape for `parseStream` / `parseText` / the parser registry). */
export function createFalcoParser(sink: RawEventSink, options?: FalcoParserOptions): FalcoParser {
  return new FalcoParser(sink, options);
}

