/**
 * Network captures → `source: network` events, merged into the probe's event stream and tied to
 * the process that opened the connection; downloads tied to later executions; lure secrets found in
 * traffic; the report's network section.
 *
 * Correlation: the probe's connect/sendto/sendmsg events are indexed by destination ip:port (DNS:
 * the resolver's port 53). A capture belongs to the last such event to its original destination at
 * or before its time (plus the capture clock's millisecond granularity); failing that, to the first
 * one within `slackMs` after it (the simulator may stamp an exchange before the probe's event for
 * the same connect). A capture is placed in the stream once the probe's time has passed it by
 * `slackMs`, so network events sit at most that far from their time order. With nothing to match,
 * the event says so (`net.proc_match = none`) and is attributed to no process (pid 0).
 */
import type { RawEvent } from '../events/event.js';
import type { Lure } from '../lures/lure.js';
import type { EvalContext, ProcessState } from '../state/context.js';
import { basename } from '../state/path.js';
import type { FileWrite } from '../state/run-summary.js';
import { type CaptureLimits, type CaptureRecord, type CaptureStats, DEFAULT_CAPTURE_LIMITS, normalizeIp, readCaptures } from './capture-reader.js';
import { nameShape } from './dga.js';
import { escapeBytes, escapeText } from './escape.js';
import { type LureHit, LureMatcher } from './lure-matcher.js';
import type { ExeDownload, NetView, NetworkEventType, ProcMatch } from './view.js';

export interface NetworkAnalysisInput {
  /** The capture's raw bytes (a file stream) or chunks of text (fixtures). */
  capture: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  lures?: readonly Lure[];
  limits?: Partial<CaptureLimits>;
  /** Default 100 ms (see the module comment). */
  slackMs?: number;
}

/** The tracker's view the analysis needs (first writer of a path). */
export interface WriterLookup {
  fileWrite(path: string): Readonly<FileWrite> | undefined;
}

interface Seen {
  ts: number;
  proc: ProcessState;
  syscall: 'connect' | 'sendto' | 'sendmsg';
}

interface Correlation {
  proc?: ProcessState;
  match: ProcMatch;
}

const TYPE_OF: Record<CaptureRecord['kind'], NetworkEventType> = { dns: 'dns_query', http: 'http_request', tls: 'tls_hello', tcp: 'tcp_stream', udp: 'udp_datagram' };
const PER_DESTINATION = 64;
const MAX_DESTINATIONS = 4096;
const MAX_NAME_MAP = 10_000;
const MAX_DISTINCT_NAMES = 20_000;
const MAX_DOWNLOADS_MATCHED = 256;
const REPORT_CAP = 500;
const EXEC_TYPES = new Set(['execve', 'execveat']);
const SEND_TYPES = new Set(['connect', 'sendto', 'sendmsg']);

/** Process of a capture nothing could be tied to. */
const UNKNOWN_PROC: ProcessState = Object.freeze({
  pid: 0, ppid: 0, name: '<unknown>', exe: '', exepath: '', args: [], cwd: '', uid: -1, gid: -1, loginuid: -1, env: [], tty: 0,
  sid: 0, pgid: 0, startTs: 0, exeWritten: false, exeFromMemfd: false, capEffective: [], capPermitted: [],
}) as ProcessState;

export function captureUrl(r: CaptureRecord): string | undefined {
  const h = r.http;
  if (!h) return undefined;
  const tls = r.tls !== undefined || r.dst.port === 443;
  const host = h.host || (r.dst.ip.includes(':') ? `[${r.dst.ip}]` : r.dst.ip);
  return `${tls ? 'https' : 'http'}://${host}${h.path.startsWith('/') ? '' : '/'}${h.path}`;
}

function pathBase(path: string): string {
  let p = path;
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  return basename(p);
}

function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A download: an HTTP response the simulator served as an executable or script. */
function isDownload(r: CaptureRecord): boolean {
  return r.http !== undefined && (r.http.served === 'elf' || r.http.served === 'script') && r.http.status >= 200 && r.http.status < 300;
}

export interface ProcRef {
  pid: number;
  name: string;
  exepath: string;
}

export interface NetworkReport {
  captures: CaptureStats;
  lures: { planted: number; secretsSkipped: number };
  events: number;
  uncorrelated: number;
  distinctNames: number;
  randomLookingNames: number;
  dns: { ts: number; name: string; type: string; answers: string[]; random: boolean; proc: ProcRef; match: ProcMatch }[];
  http: { ts: number; method: string; url: string; userAgent?: string; status: number; served?: string; bodyBytes: number; dst: string; proc: ProcRef; match: ProcMatch }[];
  tls: { ts: number; sni?: string; alpn?: string[]; dst: string; dstName?: string; proc: ProcRef; match: ProcMatch }[];
  other: { ts: number; kind: string; transport: string; dst: string; dstName?: string; firstBytes: string; bytesIn: number; proc: ProcRef; match: ProcMatch }[];
  downloads: { ts: number; url: string; served?: string; sha256?: string; proc: ProcRef; executed: boolean; executions: { ts: number; pid: number; exepath: string; match: ExeDownload['match'] }[] }[];
  exfiltration: (LureHit & { ts: number; destination: string; proc: ProcRef })[];
  /** Entries left out of the lists above (each capped). */
  truncated: number;
}

export class NetworkAnalysis {
  private readonly byDst = new Map<string, Seen[]>();
  private readonly corr = new Map<CaptureRecord, Correlation>();
  private readonly dstNames = new Map<CaptureRecord, string>();
  private readonly downloads: CaptureRecord[];
  private readonly executions = new Map<CaptureRecord, NetworkReport['downloads'][number]['executions']>();
  private readonly names = new Set<string>();
  private readonly randomNames = new Set<string>();
  private readonly matcher: LureMatcher;
  private readonly slackNs: number;
  private next = 0;
  private readonly report: NetworkReport;

  private constructor(private readonly captures: CaptureRecord[], stats: CaptureStats, lures: readonly Lure[], slackMs: number) {
    this.slackNs = slackMs * 1e6;
    this.matcher = new LureMatcher(lures);
    this.downloads = captures.filter(isDownload).slice(0, MAX_DOWNLOADS_MATCHED);
    this.report = {
      captures: stats, lures: { planted: lures.length, secretsSkipped: this.matcher.skipped }, events: 0, uncorrelated: 0, distinctNames: 0,
      randomLookingNames: 0, dns: [], http: [], tls: [], other: [], downloads: [], exfiltration: [], truncated: 0,
    };
    // Destination names from DNS answers, latest answer before each capture (captures are in time order).
    const ipName = new Map<string, string>();
    for (const r of captures) {
      if (r.dns) {
        for (const a of r.dns.answers) if (ipName.size < MAX_NAME_MAP || ipName.has(a)) ipName.set(a, r.dns.name);
      } else {
        const n = ipName.get(r.dst.ip);
        if (n !== undefined) this.dstNames.set(r, n);
      }
    }
  }

  static async load(input: NetworkAnalysisInput): Promise<NetworkAnalysis> {
    const { captures, stats } = await readCaptures(input.capture, { ...DEFAULT_CAPTURE_LIMITS, ...input.limits });
    const lures = (input.lures ?? []).filter((l) => l && typeof l === 'object');
    return new NetworkAnalysis(captures, stats, lures, input.slackMs ?? 100);
  }

  get captureCount(): number {
    return this.captures.length;
  }

  /**
   * A probe event the rules are about to see: indexes destinations of connect/sendto/sendmsg and,
   * on an exec, ties the executable to an earlier download (ProcessState.exeDownload).
   */
  observe(raw: RawEvent, ctx: EvalContext, writers: WriterLookup): void {
    const t = raw.type;
    if (SEND_TYPES.has(t)) {
      const ip = raw.hints?.ip;
      const port = raw.hints?.port;
      if (typeof ip !== 'string' || typeof port !== 'number') return;
      const key = `${normalizeIp(ip)}|${port}`;
      let list = this.byDst.get(key);
      if (list === undefined) {
        if (this.byDst.size >= MAX_DESTINATIONS) return;
        list = [];
        this.byDst.set(key, list);
      }
      if (list.length >= PER_DESTINATION) list.shift();
      list.push({ ts: raw.ts, proc: { ...ctx.proc }, syscall: t as Seen['syscall'] });
      return;
    }
    if (EXEC_TYPES.has(t) && this.downloads.length > 0 && typeof raw.res === 'number' && raw.res >= 0) {
      const d = this.downloadOf(ctx.proc, raw.ts, writers);
      if (d !== undefined) ctx.proc.exeDownload = d;
    }
  }

  private downloadOf(p: ProcessState, ts: number, writers: WriterLookup): ExeDownload | undefined {
    const exe = p.exepath;
    const base = basename(exe);
    const scriptArgs = p.args.slice(1, 8).map((a) => basename(a)).filter((a) => a !== '');
    const writer = p.exeWritten ? writers.fileWrite(exe)?.pid : undefined;
    let best: { d: CaptureRecord; match: ExeDownload['match'] } | undefined;
    const rank = { writer: 3, name: 2, uncorrelated: 1 } as const;
    for (const d of this.downloads) {
      if (d.ts * 1e6 > ts) break;
      const c = this.correlate(d, ts);
      const dbase = pathBase(d.http!.path);
      let match: ExeDownload['match'] | undefined;
      if (writer !== undefined && c.proc !== undefined && c.proc.pid === writer) match = 'writer';
      else if (dbase !== '' && (dbase === base || (d.http!.served === 'script' && scriptArgs.includes(dbase)))) match = 'name';
      else if (p.exeWritten && c.match === 'none') match = 'uncorrelated';
      if (match !== undefined && (best === undefined || rank[match] >= rank[best.match])) best = { d, match };
    }
    if (best === undefined) return undefined;
    const list = this.executions.get(best.d) ?? [];
    if (list.length < 16) list.push({ ts, pid: p.pid, exepath: exe, match: best.match });
    this.executions.set(best.d, list);
    const out: ExeDownload = { url: captureUrl(best.d) ?? '', match: best.match };
    if (best.d.http?.served) out.served = best.d.http.served;
    return out;
  }

  /** The process that opened the exchange (memoised once the probe is past the slack). */
  private correlate(r: CaptureRecord, nowNs: number): Correlation {
    const have = this.corr.get(r);
    if (have !== undefined) return have;
    const list = this.byDst.get(`${r.dst.ip}|${r.dst.port}`);
    const at = r.ts * 1e6;
    let c: Correlation = { match: 'none' };
    if (list !== undefined) {
      let before: Seen | undefined;
      let after: Seen | undefined;
      for (const s of list) {
        if (s.ts <= at + 1e6) before = s;
        else if (after === undefined && s.ts <= at + this.slackNs) after = s;
      }
      const s = before ?? after;
      if (s !== undefined) c = { proc: s.proc, match: s.syscall };
    }
    if (nowNs >= at + this.slackNs) this.corr.set(r, c);
    return c;
  }

  /** Calls `emit` for every capture due before probe time `tsNs` (all of them for Infinity), in time order. */
  drain(tsNs: number, emit: (raw: RawEvent, proc: ProcessState, view: NetView) => void): void {
    while (this.next < this.captures.length) {
      const r = this.captures[this.next]!;
      if (tsNs !== Infinity && r.ts * 1e6 + this.slackNs >= tsNs) return;
      this.next++;
      const c = this.correlate(r, Infinity);
      const view = this.view(r, c);
      emit(this.rawEvent(r, view), c.proc ?? UNKNOWN_PROC, view);
      this.record(r, view, c.proc);
    }
  }

  private view(r: CaptureRecord, c: Correlation): NetView {
    const v: NetView = { rec: r, procMatch: c.match, randomNames: this.randomNames.size, distinctNames: this.names.size, lures: [] };
    const dn = this.dstNames.get(r);
    if (dn !== undefined) v.dstName = dn;
    if (r.dns) {
      const name = r.dns.name.toLowerCase().replace(/\.$/, '');
      const random = nameShape(name).random;
      v.nameRandom = random;
      if (this.names.size < MAX_DISTINCT_NAMES) this.names.add(name);
      if (random && this.randomNames.size < MAX_DISTINCT_NAMES) this.randomNames.add(name);
      v.randomNames = this.randomNames.size;
      v.distinctNames = this.names.size;
    }
    if (!this.matcher.empty) v.lures = this.findLures(r);
    return v;
  }

  private findLures(r: CaptureRecord): LureHit[] {
    const hits: LureHit[] = [];
    const seen = new Set<string>();
    const m = this.matcher;
    if (r.dns) {
      m.scan(Buffer.from(r.dns.name, 'utf8'), 'dns', hits, seen);
      if (r.dns.name.includes('.')) m.scan(Buffer.from(r.dns.name.replace(/\./g, ''), 'utf8'), 'dns', hits, seen);
    }
    if (r.http) {
      m.scan(Buffer.from(r.http.path, 'utf8'), 'url', hits, seen);
      m.scan(Buffer.from(r.http.host, 'utf8'), 'url', hits, seen);
      for (const [k, v] of Object.entries(r.http.headers ?? {})) m.scan(Buffer.from(v, 'utf8'), `header:${k}`, hits, seen);
      if (r.bodyBuf) m.scan(r.bodyBuf, 'body', hits, seen);
    }
    if (r.tls?.sni) m.scan(Buffer.from(r.tls.sni, 'utf8'), 'sni', hits, seen);
    if (r.firstBytesBuf) m.scan(r.firstBytesBuf, 'bytes', hits, seen);
    return hits;
  }

  private rawEvent(r: CaptureRecord, v: NetView): RawEvent {
    const args: Record<string, string | number> = { kind: r.kind, transport: r.transport, dst: endpointText(r.dst.ip, r.dst.port), proc_match: v.procMatch };
    if (v.dstName !== undefined) args.dst_name = escapeText(v.dstName, 256);
    if (r.dns) {
      args.dns_name = escapeText(r.dns.name, 256);
      args.dns_type = escapeText(r.dns.type, 16);
      if (r.dns.answers.length) args.answers = r.dns.answers.join(',');
    }
    if (r.http) {
      args.method = escapeText(r.http.method, 32);
      args.url = escapeText(captureUrl(r) ?? '', 512);
      if (r.http.userAgent !== undefined) args.user_agent = escapeText(r.http.userAgent, 256);
      args.status = r.http.status;
      if (r.http.served) args.served = r.http.served;
      args.body_bytes = r.http.bodyBytes;
    }
    if (r.tls?.sni !== undefined) args.sni = escapeText(r.tls.sni, 256);
    if (r.firstBytesBuf) args.first_bytes = escapeBytes(r.firstBytesBuf, 256);
    args.bytes_in = r.bytesIn;
    if (v.lures.length) args.lures = v.lures.map((l) => `${l.kind}@${l.location}(${l.encoding} in ${l.where})`).join(', ');
    const ipv6 = r.dst.ip.includes(':');
    return {
      ts: r.ts * 1e6, source: 'network', type: TYPE_OF[r.kind], res: r.http?.status ?? 0, rawres: 0, pid: 0, tid: 0, args,
      fd: { num: -1, type: ipv6 ? 'ipv6' : 'ipv4', name: `${endpointText(r.src.ip, r.src.port)}->${endpointText(r.dst.ip, r.dst.port)}` },
    };
  }

  private record(r: CaptureRecord, v: NetView, p: ProcessState | undefined): void {
    const rep = this.report;
    rep.events++;
    if (v.procMatch === 'none') rep.uncorrelated++;
    const proc: ProcRef = p ? { pid: p.pid, name: p.name, exepath: p.exepath } : { pid: 0, name: UNKNOWN_PROC.name, exepath: '' };
    const ts = r.ts;
    const dst = endpointText(r.dst.ip, r.dst.port);
    const push = <T>(list: T[], item: () => T) => {
      if (list.length < REPORT_CAP) list.push(item());
      else rep.truncated++;
    };
    if (r.dns) push(rep.dns, () => ({ ts, name: escapeText(r.dns!.name, 256), type: escapeText(r.dns!.type, 16), answers: r.dns!.answers, random: v.nameRandom === true, proc, match: v.procMatch }));
    else if (r.http) {
      const h = r.http;
      push(rep.http, () => {
        const e: NetworkReport['http'][number] = { ts, method: escapeText(h.method, 32), url: escapeText(captureUrl(r) ?? '', 1024), status: h.status, bodyBytes: h.bodyBytes, dst, proc, match: v.procMatch };
        if (h.userAgent !== undefined) e.userAgent = escapeText(h.userAgent, 256);
        if (h.served) e.served = h.served;
        return e;
      });
    } else if (r.kind === 'tls') {
      push(rep.tls, () => {
        const e: NetworkReport['tls'][number] = { ts, dst, proc, match: v.procMatch };
        if (r.tls?.sni !== undefined) e.sni = escapeText(r.tls.sni, 256);
        if (r.tls?.alpn) e.alpn = r.tls.alpn.map((a) => escapeText(a, 64));
        if (v.dstName !== undefined) e.dstName = v.dstName;
        return e;
      });
    } else {
      push(rep.other, () => {
        const e: NetworkReport['other'][number] = { ts, kind: r.kind, transport: r.transport, dst, firstBytes: r.firstBytesBuf ? escapeBytes(r.firstBytesBuf, 512) : '', bytesIn: r.bytesIn, proc, match: v.procMatch };
        if (v.dstName !== undefined) e.dstName = v.dstName;
        return e;
      });
    }
    for (const l of v.lures) push(rep.exfiltration, () => ({ ...l, ts, destination: r.http ? escapeText(captureUrl(r) ?? dst, 512) : r.dns ? `dns ${escapeText(r.dns.name, 256)} via ${dst}` : `${dst}${v.dstName ? ` (${v.dstName})` : ''}`, proc }));
  }

  /** The report's network section (call after the last drain). */
  finish(): NetworkReport {
    const rep = this.report;
    rep.distinctNames = this.names.size;
    rep.randomLookingNames = this.randomNames.size;
    rep.downloads = this.downloads.map((d) => {
      const c = this.corr.get(d);
      const p = c?.proc;
      const executions = this.executions.get(d) ?? [];
      const e: NetworkReport['downloads'][number] = {
        ts: d.ts, url: escapeText(captureUrl(d) ?? '', 1024), proc: p ? { pid: p.pid, name: p.name, exepath: p.exepath } : { pid: 0, name: UNKNOWN_PROC.name, exepath: '' },
        executed: executions.length > 0, executions,
      };
      if (d.http?.served) e.served = d.http.served;
      if (d.http?.servedSha256) e.sha256 = d.http.servedSha256;
      return e;
    });
    return rep;
  }
}
