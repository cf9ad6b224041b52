/**
 * Parser of `perf trace -T --sort-events --libtraceevent_print --syscalls -e sched:…` output (see
 * libs/sandbox/src/probes/perf.probe.ts) into RawEvents, through the shared tracepoint core.
 *
 *   `2285225.306 ( 0.017 ms): sh/32199 openat(dfd: CWD, filename: 0xfadabf53, flags: RDONLY|CLOEXEC) = 3`
 *   `2285225.558 (         ): sh/32199 clone(clone_flags: CHILD_CLEARTID|CHILD_SETTID|0x11, child_tidptr: 0x1ffd9690) ...`
 *   `2285225.558 ( 0.130 ms): sh/32199  ... [continued]: clone())  = 8 (kworker/R-netns)`
 *   `2285224.468 (         ): sh/32199 sched:sched_process_exec(filename=/bin/sh pid=32199 old_pid=32199)`
 *   `LOST 12 events!`
 *
 * perf's beautifiers print symbols (`CWD`, `RDONLY|CLOEXEC`, `INET`), leave out zero-valued
 * arguments, annotate fds with paths read from /proc at print time (racy: ignored here) and print
 * pid-like results with the comm of the *host* task of that number (ignored). Never throws.
 */
import type { EventSource } from '../events/event.js';
import { ERRNO as ERRNO_BY_NAME } from './errno.js';
import { parseIntArg, readQuarantineHeader } from './ftrace-parser.js';
import { type NumArgs, TracepointEventBuilder } from './tracepoint-events.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

const SIG: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14,
  TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26,
  PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
};
const OPEN: Record<string, number> = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000,
  DSYNC: 0o10000, ASYNC: 0o20000, DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000, NOATIME: 0o1000000,
  CLOEXEC: 0o2000000, SYNC: 0o4010000, PATH: 0o10000000, TMPFILE: 0o20200000,
};
const CLONE: Record<string, number> = {
  VM: 0x100, FS: 0x200, FILES: 0x400, SIGHAND: 0x800, PIDFD: 0x1000, PTRACE: 0x2000, VFORK: 0x4000, PARENT: 0x8000, THREAD: 0x10000,
  NEWNS: 0x20000, SYSVSEM: 0x40000, SETTLS: 0x80000, PARENT_SETTID: 0x100000, CHILD_CLEARTID: 0x200000, DETACHED: 0x400000,
  UNTRACED: 0x800000, CHILD_SETTID: 0x1000000, NEWCGROUP: 0x2000000, NEWUTS: 0x4000000, NEWIPC: 0x8000000, NEWUSER: 0x10000000,
  NEWPID: 0x20000000, NEWNET: 0x40000000, IO: 0x80000000,
};
const FAMILY: Record<string, number> = { UNSPEC: 0, UNIX: 1, LOCAL: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17, VSOCK: 40, XDP: 44 };
const SOCKTYPE: Record<string, number> = { STREAM: 1, DGRAM: 2, RAW: 3, RDM: 4, SEQPACKET: 5, DCCP: 6, PACKET: 10, CLOEXEC: 0o2000000, NONBLOCK: 0o4000 };
const FCNTL: Record<string, number> = { DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, DUPFD_CLOEXEC: 1030 };
const MFD: Record<string, number> = { CLOEXEC: 1, ALLOW_SEALING: 2, HUGETLB: 4, NOEXEC_SEAL: 8, EXEC: 16 };
const AT: Record<string, number> = { CWD: -100 };
const PTRACE: Record<string, number> = {
  TRACEME: 0, PEEKTEXT: 1, PEEKDATA: 2, PEEKUSR: 3, POKETEXT: 4, POKEDATA: 5, POKEUSR: 6, CONT: 7, KILL: 8, SINGLESTEP: 9, ATTACH: 16,
  DETACH: 17, SYSCALL: 24, SETOPTIONS: 0x4200, SEIZE: 0x4206, INTERRUPT: 0x4207,
};

function tableFor(syscall: string, arg: string): Record<string, number> | undefined {
  switch (arg) {
    case 'sig': return SIG;
    case 'dfd': case 'fd': return AT;
    case 'clone_flags': case 'unshare_flags': return CLONE;
    case 'family': return FAMILY;
    case 'type': return syscall === 'socket' || syscall === 'socketpair' ? SOCKTYPE : undefined;
    case 'cmd': return syscall === 'fcntl' ? FCNTL : undefined;
    case 'request': return PTRACE;
    case 'flags':
      if (syscall === 'memfd_create') return MFD;
      if (syscall === 'open' || syscall === 'openat' || syscall === 'openat2' || syscall === 'dup3') return OPEN;
      if (syscall === 'setns') return CLONE;
      return undefined;
    default: return undefined;
  }
}

/** perf's value notation → number: `3`, `0x1f`, `-1`, `RDONLY|CLOEXEC`, `CHILD_SETTID|0x11`, `4</etc/x>` (annotation dropped). */
export function perfValue(syscall: string, arg: string, raw: string): number {
  let v = raw;
  const lt = v.indexOf('<');
  if (lt > 0) v = v.slice(0, lt);
  const n = parseIntArg(v);
  if (!Number.isNaN(n)) return n;
  const t = tableFor(syscall, arg);
  if (t === undefined) return NaN;
  let sum = 0;
  for (const part of v.split('|')) {
    const p = parseIntArg(part);
    if (!Number.isNaN(p)) { sum += p; continue; }
    const s = t[part];
    if (s === undefined) return NaN;
    sum += s;
  }
  return sum;
}

/** `(a, b(c), d)` top-level comma split of perf's argument list. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40 || c === 60) depth++;
    else if (c === 41 || c === 62) depth--;
    else if (c === 44 && depth === 0 && s.charCodeAt(i + 1) === 32) { out.push(s.slice(start, i)); start = i + 2; }
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

const HEAD = /^\s*(\d+\.\d+|\?) \(\s*(?:[\d.]+ ms)?\s*\): (.+?)\/(\d+) (.*)$/;
const LOST = /^LOST (\d+) events!/;

export class PerfParser implements TraceParser {
  readonly source: EventSource = 'perf';
  readonly stats: ParserStats = emptyStats();
  private readonly b: TracepointEventBuilder;
  private offsetNs = 0;
  private lastTs = 0;

  constructor(sink: RawEventSink) {
    this.b = new TracepointEventBuilder('perf', sink, this.stats);
  }

  write(line: string): void {
    this.stats.lines++;
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) {
      this.offsetNs = readQuarantineHeader(line, this.b) ?? this.offsetNs;
      return;
    }
    const m = HEAD.exec(line);
    if (m === null) {
      const l = LOST.exec(line.trim());
      if (l !== null) { this.stats.lost += Number(l[1]); return; }
      return this.unparsed(line);
    }
    let ts = this.lastTs;
    if (m[1] !== '?') {
      const dot = m[1]!.indexOf('.');
      // -T: milliseconds of the perf clock, to µs.
      ts = Number(m[1]!.slice(0, dot)) * 1e6 + Number(m[1]!.slice(dot + 1).padEnd(6, '0').slice(0, 6)) + this.offsetNs;
      this.lastTs = ts;
    }
    const tid = Number(m[3]);
    const rest = m[4]!;
    if (rest.startsWith(' ... [continued]: ')) {
      const s = rest.slice(18);
      const p = s.indexOf('(');
      if (p <= 0) return this.unparsed(line);
      this.b.exit(ts, tid, s.slice(0, p), this.ret(s));
      return;
    }
    if (rest.startsWith('sched:')) {
      const p = rest.indexOf('(');
      const body = rest.slice(p + 1, rest.lastIndexOf(')'));
      const ev = rest.slice(6, p);
      if (ev === 'sched_process_fork') {
        const parent = Number(/(?:^| )pid=(\d+)/.exec(body)?.[1]);
        const child = Number(/child_pid=(\d+)/.exec(body)?.[1]);
        if (Number.isNaN(parent) || Number.isNaN(child)) return this.unparsed(line);
        this.b.fork(ts, parent, child);
      } else if (ev === 'sched_process_exec') {
        const e = body.lastIndexOf(' pid=');
        if (!body.startsWith('filename=') || e < 0) return this.unparsed(line);
        this.b.exec(ts, Number(/pid=(\d+)/.exec(body.slice(e))?.[1] ?? tid), body.slice(9, e));
      } else if (ev === 'sched_process_exit') {
        const pid = Number(/ pid=(\d+)/.exec(` ${body}`)?.[1] ?? tid);
        this.b.procExit(ts, pid);
      } else this.unparsed(line);
      return;
    }
    const p = rest.indexOf('(');
    if (p <= 0) return this.unparsed(line);
    const name = rest.slice(0, p);
    if (!/^[a-z0-9_]+$/.test(name)) return this.unparsed(line);
    const close = this.closeParen(rest, p);
    if (close < 0) return this.unparsed(line);
    const args: NumArgs = {};
    for (const part of splitTop(rest.slice(p + 1, close))) {
      const c = part.indexOf(': ');
      if (c < 0) continue;
      const k = part.slice(0, c);
      const v = perfValue(name, k, part.slice(c + 2));
      if (!Number.isNaN(v)) args[k] = v;
    }
    this.b.enter(ts, tid, name, args);
    const tail = rest.slice(close + 1).trim();
    if (tail === '...') return; // unfinished: the [continued] line brings the result
    if (!tail.startsWith('=')) return this.unparsed(line);
    const r = tail.slice(1).trim();
    if (r === '?') return; // exit/exit_group: the sched_process_exit ends it
    this.b.exit(ts, tid, name, this.retText(r));
  }

  end(): void {
    this.b.end();
  }

  private closeParen(s: string, open: number): number {
    let depth = 0;
    for (let i = open; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 40) depth++;
      else if (c === 41 && --depth === 0) return i;
    }
    return -1;
  }

  private ret(s: string): number | undefined {
    const eq = s.indexOf(') = ');
    if (eq < 0) return undefined;
    return this.retText(s.slice(eq + 4).trim());
  }

  /** `3`, `0x1f`, `-1 ENOENT (…)`, `7 (comm)`, `` (perf printed nothing), `?`. */
  private retText(r: string): number | undefined {
    if (r === '' || r === '?') return undefined;
    const sp = r.indexOf(' ');
    const head = sp < 0 ? r : r.slice(0, sp);
    const lt = head.indexOf('<');
    const n = parseIntArg(lt > 0 ? head.slice(0, lt) : head);
    if (Number.isNaN(n)) return undefined;
    if (n === -1 && sp > 0) {
      const e = r.slice(sp + 1).split(' ')[0]!;
      const errno = ERRNO_BY_NAME[e];
      return errno !== undefined ? -errno : -1;
    }
    return n;
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }
}

export function createPerfParser(sink: RawEventSink): PerfParser {
  return new PerfParser(sink);
}
