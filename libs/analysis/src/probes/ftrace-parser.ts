/**
 * Parser of a tracefs instance's `trace_pipe` (see libs/sandbox/src/probes/ftrace.probe.ts for the
 * setup: syscalls/* plus sched_process_{fork,exec,exit}, options/record-tgid, trace_clock mono)
 * into RawEvents, through the shared tracepoint core.
 *
 *   `  comm-1234   (  1230) [001] .....  2269.261039: sys_openat(dfd: 0xffffff9c, filename: 0x7f.., flags: 0x80000, mode: 0)`
 *   `  comm-1234   (  1230) [001] .....  2269.261041: sys_openat -> 0x3`
 *   `  comm-1234   (  1230) [001] .....  2269.263515: sched_process_fork: comm=sh pid=1234 child_comm=sh child_pid=1240`
 *   `CPU:1 [LOST 12 EVENTS]`
 *
 * Header lines written by the probe (`# quarantine-root-pid N`, `# quarantine-clock-offset-ns N`)
 * scope the trace and turn the monotonic timestamps into Unix time. Never throws on input.
 */
import type { EventSource } from '../events/event.js';
import { type NumArgs, TracepointEventBuilder } from './tracepoint-events.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

export const QUARANTINE_ROOT_HEADER = '# quarantine-root-pid ';
export const QUARANTINE_CLOCK_HEADER = '# quarantine-clock-offset-ns ';

/**
 * Reads one of the probes' `#` header lines (perf and ftrace write the same ones): the traced root
 * pid goes to the event builder; returns the clock offset (ns) when the line carries it.
 */
export function readQuarantineHeader(line: string, b: { setRoot(root: number): void }): number | undefined {
  if (line.startsWith(QUARANTINE_ROOT_HEADER)) {
    const root = Number(line.slice(QUARANTINE_ROOT_HEADER.length));
    if (root > 0) b.setRoot(root);
  } else if (line.startsWith(QUARANTINE_CLOCK_HEADER)) {
    const off = Number(line.slice(QUARANTINE_CLOCK_HEADER.length));
    if (!Number.isNaN(off)) return off;
  }
  return undefined;
}

/** `0x…` / decimal / negative → number; 64-bit values above 2^63 are negative (errno returns). */
export function parseIntArg(v: string): number {
  const s = v.trim();
  if (s.startsWith('0x') || s.startsWith('0X')) {
    if (s.length > 18) return NaN;
    if (s.length <= 14) return parseInt(s.slice(2), 16);
    try { return Number(BigInt.asIntN(64, BigInt(s))); } catch { return NaN; }
  }
  if (/^-?\d+$/.test(s)) return Number(s);
  return NaN;
}

const LINE = /^\s*(.*)-(\d+)\s+\(\s*(\d+|-+)\)\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d+):\s(.*)$/;
const LOST = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

function kv(text: string, key: string): string | undefined {
  const i = text.indexOf(`${key}=`);
  if (i < 0 || (i > 0 && text.charCodeAt(i - 1) !== 32)) return undefined;
  let e = text.indexOf(' ', i);
  if (e < 0) e = text.length;
  return text.slice(i + key.length + 1, e);
}

export class FtraceParser implements TraceParser {
  readonly source: EventSource = 'ftrace';
  readonly stats: ParserStats = emptyStats();
  private readonly b: TracepointEventBuilder;
  private offsetNs = 0;
  /** Recent lines: trace_pipe may repeat an event when a reader crosses a page (seen here). */
  private readonly recent: string[] = [];
  private readonly recentSet = new Set<string>();

  constructor(sink: RawEventSink, source: EventSource = 'ftrace') {
    this.source = source;
    this.b = new TracepointEventBuilder(source, sink, this.stats);
    this.stats.detail.duplicates = 0;
    this.stats.detail.lostMarkers = 0;
  }

  write(line: string): void {
    this.stats.lines++;
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) return this.header(line);
    const m = LINE.exec(line);
    if (m === null) {
      const l = LOST.exec(line);
      // Counted by the probe from the per-cpu overrun/dropped counters (ProbeStats.lost), which
      // include these: kept as detail, not added again.
      if (l !== null) { this.stats.detail.lostInMarkers = (this.stats.detail.lostInMarkers ?? 0) + Number(l[2]); this.stats.detail.lostMarkers!++; return; }
      return this.unparsed(line);
    }
    if (this.recentSet.has(line)) { this.stats.detail.duplicates!++; return; }
    this.recentSet.add(line);
    this.recent.push(line);
    if (this.recent.length > 256) this.recentSet.delete(this.recent.shift()!);
    const tid = Number(m[2]);
    if (m[3]!.charCodeAt(0) !== 45) this.b.noteTgid(tid, Number(m[3]));
    const ts = Number(m[5]) * 1e9 + Number(m[6]!.padEnd(9, '0').slice(0, 9)) + this.offsetNs;
    const body = m[7]!;
    if (body.startsWith('sys_')) {
      const arrow = body.indexOf(' -> ');
      if (arrow > 0) {
        const ret = parseIntArg(body.slice(arrow + 4));
        this.b.exit(ts, tid, body.slice(4, arrow), Number.isNaN(ret) ? undefined : ret);
        return;
      }
      const paren = body.indexOf('(');
      if (paren < 0 || !body.endsWith(')')) return this.unparsed(line);
      const args: NumArgs = {};
      const inner = body.slice(paren + 1, -1);
      if (inner.length > 0) {
        for (const part of inner.split(', ')) {
          const c = part.indexOf(': ');
          if (c < 0) continue;
          const v = parseIntArg(part.slice(c + 2));
          if (!Number.isNaN(v)) args[part.slice(0, c)] = v;
        }
      }
      this.b.enter(ts, tid, body.slice(4, paren), args);
      return;
    }
    if (body.startsWith('sched_process_fork: ')) {
      const parent = Number(kv(body, 'pid'));
      const child = Number(kv(body, 'child_pid'));
      if (Number.isNaN(parent) || Number.isNaN(child)) return this.unparsed(line);
      this.b.fork(ts, parent, child);
      return;
    }
    if (body.startsWith('sched_process_exec: ')) {
      // filename=… may contain spaces: it runs up to " pid=".
      const s = body.indexOf('filename=');
      const e = body.lastIndexOf(' pid=');
      if (s < 0 || e < s) return this.unparsed(line);
      this.b.exec(ts, Number(kv(body.slice(e), 'pid') ?? tid), body.slice(s + 9, e));
      return;
    }
    if (body.startsWith('sched_process_exit: ')) {
      const e = body.lastIndexOf(' pid=');
      const pid = e >= 0 ? Number(kv(body.slice(e), 'pid')) : tid;
      this.b.procExit(ts, Number.isNaN(pid) ? tid : pid);
      return;
    }
    this.unparsed(line);
  }

  end(): void {
    this.b.end();
  }

  private header(line: string): void {
    this.offsetNs = readQuarantineHeader(line, this.b) ?? this.offsetNs;
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }
}

export function createFtraceParser(sink: RawEventSink): FtraceParser {
  return new FtraceParser(sink);
}
