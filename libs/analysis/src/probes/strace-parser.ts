/**
 * Streaming parser of `strace -f` output (see probes/README.md for the exact command line) into
 * RawEvents. One event per completed syscall (an `<unfinished ...>` start is joined with its
 * `<... x resumed>` end, across interleaved pids), plus `signaldeliver` for `--- SIGxxx ---` lines and a
 * synthetic `procexit` for `+++ exited with N +++` / `+++ killed by SIG +++`.
 *
 * Constant memory: state is only the calls currently pending per live pid. Linear scans, no
 * per-line closures; malformed lines are counted in `stats`, never thrown.
 */
import { COMPAT_SYSCALL, type EventFd, markTruncated, type RawEvent } from '../events/event.js';
import { ERRNO, signalNumber } from './errno.js';
import { I386_HEADER_NAME } from './i386-syscalls.js';
import {
  AT_FDCWD, annotatedFd, annotationText, decodeFdPair, decodeSockaddr, decodeString, decodeStringArray,
  wasTruncated, l4protoOfLabel, parseNum, splitArgs, structField, translatedPid, type SockAddr,
} from './strace-syntax.js';
import { emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

export interface StraceParserOptions {
  /** pid to use when lines carry no pid prefix (strace without -f). Default 0. */
  defaultPid?: number;
  /** Cap, in bytes, of write/send buffers copied into `args.data`. Default 256. */
  dataCap?: number;
  /** Cap of execve argv/env strings. Default 4096. */
  stringCap?: number;
}

interface Pending {
  name: string;
  /** Argument text printed before `<unfinished ...>`. */
  text: string;
  ts: number;
}

const UNFINISHED = ' <unfinished ...>';
const DETACHED = ' <detached ...>';
const CLONE_FAMILY = new Set(['clone', 'clone3', 'fork', 'vfork']);

type Decoder = (ev: RawEvent, a: string[], ret: string, p: StraceParser) => void;

export class StraceParser implements TraceParser {
  readonly source = 'strace' as const;
  readonly stats: ParserStats = emptyStats();
  private readonly pending = new Map<number, Pending>();
  /** pids seen and not yet exited (to spot a new child's first line). */
  private readonly live = new Set<number>();
  /** pids with a clone/fork/vfork in flight → flags text, to name the parent of a child seen before the return. */
  private readonly cloning = new Map<number, string>();
  /** First-event hints for pids seen before their parent's clone returned. */
  private readonly firstHint = new Map<number, { parentPid: number; flags: string }>();
  private readonly args: string[] = [];
  private readonly defaultPid: number;
  readonly dataCap: number;
  readonly stringCap: number;

  constructor(private readonly sink: RawEventSink, options: StraceParserOptions = {}) {
    this.defaultPid = options.defaultPid ?? 0;
    this.dataCap = options.dataCap ?? 256;
    this.stringCap = options.stringCap ?? 4096;
    const d = this.stats.detail;
    d.orphanResumes = 0; d.unfinishedAtEnd = 0; d.detached = 0; d.superseded = 0; d.signals = 0; d.exits = 0;
  }

  write(line: string): void {
    this.stats.lines++;
    const n = line.length;
    if (n === 0) return;
    let i = 0;
    let c = line.charCodeAt(0);
    let pid = this.defaultPid;
    // Optional pid prefix: "1234  " or "[pid  1234] ".
    if (c === 91 && line.startsWith('[pid', 0)) {
      i = 4;
      while (line.charCodeAt(i) === 32) i++;
      pid = 0;
      while (i < n && (c = line.charCodeAt(i)) >= 48 && c <= 57) { pid = pid * 10 + (c - 48); i++; }
      if (line.charCodeAt(i) !== 93) return this.unparsed(line);
      i++;
      while (line.charCodeAt(i) === 32) i++;
    } else if (c >= 48 && c <= 57) {
      let v = 0;
      let j = 0;
      while (j < n && (c = line.charCodeAt(j)) >= 48 && c <= 57) { v = v * 10 + (c - 48); j++; }
      if (c === 32) {
        pid = v;
        i = j;
        while (line.charCodeAt(i) === 32) i++;
      } // else: no pid prefix, the digits are the timestamp
    }
    // Timestamp: seconds[.fraction] (-ttt), required.
    let sec = 0;
    let digits = 0;
    while (i < n && (c = line.charCodeAt(i)) >= 48 && c <= 57) { sec = sec * 10 + (c - 48); i++; digits++; }
    if (digits === 0) return this.unparsed(line);
    let ns = sec * 1e9;
    if (c === 46) {
      i++;
      let frac = 0;
      let fd = 0;
      while (i < n && (c = line.charCodeAt(i)) >= 48 && c <= 57) { if (fd < 9) { frac = frac * 10 + (c - 48); fd++; } i++; }
      for (let k = fd; k < 9; k++) frac *= 10;
      ns += frac;
    }
    if (line.charCodeAt(i) !== 32) return this.unparsed(line);
    i++;
    c = line.charCodeAt(i);
    if (c === 45 && line.startsWith('--- ', i)) return this.signal(pid, ns, line, i + 4);
    if (c === 43 && line.startsWith('+++ ', i)) return this.exit(pid, ns, line, i + 4);
    if (c === 91 && line.startsWith(PERSONALITY, i)) return this.personality(pid, ns, line, i + PERSONALITY.length);
    if (!this.live.has(pid)) this.noteNewPid(pid);
    if (c === 60 && line.startsWith('<... ', i)) return this.resumed(pid, ns, line, i + 5);
    // syscall start
    const paren = line.indexOf('(', i);
    if (paren <= i) return this.unparsed(line);
    for (let k = i; k < paren; k++) {
      const ch = line.charCodeAt(k);
      if (!((ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 95 || (ch >= 65 && ch <= 90))) return this.unparsed(line);
    }
    const raw = line.slice(i, paren);
    const name = I386_ALIASES[raw] ?? raw;
    if (line.endsWith(UNFINISHED)) {
      if (this.pending.has(pid)) this.stats.lost++;
      const text = line.slice(paren + 1, n - UNFINISHED.length);
      this.pending.set(pid, { name, text, ts: ns });
      if (CLONE_FAMILY.has(name)) this.cloning.set(pid, cloneFlagsOf(name, text));
      return;
    }
    if (line.endsWith(DETACHED)) {
      this.stats.detail.detached!++;
      this.complete(pid, ns, name, line.slice(paren + 1, n - DETACHED.length) + ') = ?', true);
      return;
    }
    this.complete(pid, ns, name, line.slice(paren + 1), false);
  }

  end(): void {
    for (const [pid, p] of this.pending) {
      this.stats.detail.unfinishedAtEnd!++;
      this.complete(pid, p.ts, p.name, p.text + ') = ?', true);
    }
    this.pending.clear();
    this.cloning.clear();
  }

  private unparsed(line: string): void {
    this.stats.unparsed++;
    if (this.stats.unparsedSamples.length < 10) this.stats.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
  }

  private noteNewPid(pid: number): void {
    this.live.add(pid);
    if (this.cloning.size === 0) return;
    // A line from a pid we have never seen while some process is inside clone/fork/vfork: that is its child.
    let parentPid = -1;
    let flags = '';
    for (const [p, f] of this.cloning) { parentPid = p; flags = f; }
    if (parentPid >= 0 && parentPid !== pid) this.firstHint.set(pid, { parentPid, flags });
  }

  private emit(ev: RawEvent): void {
    if (this.firstHint.size > 0) {
      const h = this.firstHint.get(ev.tid);
      if (h !== undefined) {
        this.firstHint.delete(ev.tid);
        const hints = ev.hints ?? (ev.hints = {});
        hints.parentPid = h.parentPid;
        hints.cloneFlags = h.flags;
      }
    }
    this.stats.events++;
    this.sink(ev);
  }

  private resumed(pid: number, ts: number, line: string, i: number): void {
    const sp = line.indexOf(' resumed>', i);
    if (sp < 0) return this.unparsed(line);
    const name = line.slice(i, sp);
    let p = this.pending.get(pid);
    if (p === undefined || p.name !== name) {
      // execve by a non-leader thread resumes in the leader (`+++ superseded +++` moved it), else orphan.
      this.stats.detail.orphanResumes!++;
      this.stats.lost++;
      p = { name, text: '', ts };
    } else this.pending.delete(pid);
    if (CLONE_FAMILY.has(name)) this.cloning.delete(pid);
    let rest = line.slice(sp + 9);
    let interrupted = false;
    if (rest.endsWith(DETACHED)) { rest = rest.slice(0, -DETACHED.length) + ') = ?'; interrupted = true; this.stats.detail.detached!++; }
    this.complete(pid, ts, name, p.text + rest, interrupted);
  }

  /**
   * `[ Process PID=N runs in 32 bit mode. ]` (strace's personality message, kept by `--quiet=attach`):
   * the calls that follow are i386 (`int 0x80`) or x32 calls, printed under their own ABI's names.
   * A switch to a 32-bit ABI becomes a `compat_syscall` event (the ebpf probe emits the same).
   */
  private personality(pid: number, ts: number, line: string, i: number): void {
    const m = /^\d+ runs in (32 bit|x32|64 bit) mode\. \]$/.exec(line.slice(i));
    if (m === null) return this.unparsed(line);
    if (m[1] === '64 bit') return;
    if (!this.live.has(pid)) this.noteNewPid(pid);
    this.emit({ ts, source: 'strace', type: COMPAT_SYSCALL, res: 0, rawres: 0, pid, tid: pid, args: { abi: m[1] === 'x32' ? 'x32' : 'i386' } });
  }

  private signal(pid: number, ts: number, line: string, i: number): void {
    this.stats.detail.signals!++;
    const ev: RawEvent = { ts, source: 'strace', type: 'signaldeliver', res: 0, rawres: 0, pid, tid: pid, args: {} };
    if (line.startsWith('stopped by ', i)) {
      let e = i + 11;
      while (e < line.length && line.charCodeAt(e) !== 32) e++;
      ev.args.sig = line.slice(i + 11, e);
      ev.args.stopped = 1;
    } else {
      let e = i;
      while (e < line.length && line.charCodeAt(e) !== 32) e++;
      ev.args.sig = line.slice(i, e);
      const body = line.slice(e);
      const code = structField(body, 'si_code');
      if (code !== undefined) ev.args.code = code;
      const spid = structField(body, 'si_pid');
      if (spid !== undefined) {
        ev.args.spid = parseNum(spid);
        const host = translatedPid(spid);
        if (host !== undefined) (ev.hints ??= {}).senderPid = host;
      }
      const st = structField(body, 'si_status');
      if (st !== undefined) ev.args.status = st;
    }
    ev.args.dpid = pid;
    this.emit(ev);
  }

  private exit(pid: number, ts: number, line: string, i: number): void {
    const p = this.pending.get(pid);
    if (line.startsWith('superseded by execve in pid ', i)) {
      this.stats.detail.superseded!++;
      const leader = parseNum(line.slice(i + 28));
      if (p !== undefined && !Number.isNaN(leader)) { this.pending.delete(pid); this.pending.set(leader, p); }
      this.forget(pid);
      return;
    }
    this.stats.detail.exits!++;
    const ev: RawEvent = { ts, source: 'strace', type: 'procexit', res: 0, rawres: 0, pid, tid: pid, args: {} };
    if (line.startsWith('exited with ', i)) {
      const code = parseNum(line.slice(i + 12));
      if (Number.isNaN(code)) return this.unparsed(line);
      ev.args.status = code << 8;
      ev.args.ret = code;
    } else if (line.startsWith('killed by ', i)) {
      let e = i + 10;
      while (e < line.length && line.charCodeAt(e) !== 32) e++;
      const sig = line.slice(i + 10, e);
      const core = line.indexOf('(core dumped)', e) >= 0 ? 1 : 0;
      ev.args.status = signalNumber(sig) | (core ? 0x80 : 0);
      ev.args.sig = sig;
      ev.args.core = core;
    } else return this.unparsed(line);
    if (p !== undefined) {
      // The call never returned (exit_group, or killed while blocked): emit it now.
      this.pending.delete(pid);
      this.complete(pid, ts, p.name, p.text + ') = ?', true);
    }
    this.forget(pid);
    this.emit(ev);
  }

  private forget(pid: number): void {
    this.live.delete(pid);
    this.cloning.delete(pid);
    this.firstHint.delete(pid);
  }

  /** `text` is everything after the call's `(`: arguments, `)`, ` = `, return value. */
  private complete(pid: number, ts: number, name: string, text: string, interrupted: boolean): void {
    const a = this.args;
    a.length = 0;
    const close = splitArgs(text, 0, a);
    if (close < 0) return this.unparsed(`${pid} ${name}(${text}`);
    let j = close + 1;
    while (text.charCodeAt(j) === 32) j++;
    if (text.charCodeAt(j) !== 61) return this.unparsed(`${pid} ${name}(${text}`);
    j++;
    while (text.charCodeAt(j) === 32) j++;
    const ret = text.slice(j);
    const ev: RawEvent = { ts, source: 'strace', type: name, res: 0, rawres: 0, pid, tid: pid, args: {} };
    const r0 = ret.charCodeAt(0);
    if (r0 === 63) { // '?'
      ev.res = '?';
      const e = ret.indexOf(' E', 1);
      if (e > 0) {
        let k = e + 1;
        while (k < ret.length && ret.charCodeAt(k) !== 32) k++;
        const errno = ret.slice(e + 1, k);
        ev.res = errno;
        ev.rawres = -(ERRNO[errno] ?? 1);
      }
    } else {
      const v = parseNum(ret);
      if (Number.isNaN(v)) {
        ev.res = ret;
      } else if (v < 0 && ret.charCodeAt(ret.indexOf(' ') + 1) === 69) { // "-1 EXXX (...)"
        const s = ret.indexOf(' ') + 1;
        let k = s;
        while (k < ret.length && ret.charCodeAt(k) !== 32) k++;
        const errno = ret.slice(s, k);
        ev.res = errno;
        ev.rawres = -(ERRNO[errno] ?? 1);
      } else {
        ev.res = v;
        ev.rawres = v;
      }
    }
    if (interrupted) (ev.hints ??= {}).interrupted = true;
    const dec = DECODERS[name];
    if (dec !== undefined) dec(ev, a, ret, this);
    else if (a.length > 0) {
      const c0 = a[0]!.charCodeAt(0);
      if (c0 >= 48 && c0 <= 57 && a[0]!.indexOf('<') > 0) fdArg(ev, a[0], 'fd');
    }
    this.emit(ev);
  }
}

/** Creates a strace parser (factory shape for `parseStream` / `parseText`). */
export function createStraceParser(sink: RawEventSink, options?: StraceParserOptions): StraceParser {
  return new StraceParser(sink, options);
}

// ---------------------------------------------------------------------------------------------
// Argument decoders (module-level functions, keyed by syscall name). Falco argument names.

const PERSONALITY = '[ Process PID=';

/**
 * In 32-bit mode strace prints i386 calls under i386 names; those whose x86_64 twin takes the same
 * arguments are renamed so rules on the x86_64 name see them (the ebpf probe maps the same calls by
 * number: i386-syscalls.ts). The 16-bit-uid originals (chown, setuid…) already have x86_64 names.
 */
const I386_ALIASES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(
  Object.entries(I386_HEADER_NAME).map(([x64, i386]) => [i386, x64]).concat([['lchown32', 'lchown'], ['fchown32', 'fchown'], ['getuid32', 'getuid'], ['geteuid32', 'geteuid']]),
));

function hint(ev: RawEvent, key: string, value: string | number | boolean): void {
  (ev.hints ??= {})[key] = value;
}

function plainFd(f: EventFd & { label?: string }): EventFd {
  return { num: f.num, type: f.type, name: f.name };
}

/** Records an fd argument under `key`; the first annotated fd of the call becomes `ev.fd`. AT_FDCWD's annotation → hints.cwd. */
function fdArg(ev: RawEvent, a: string | undefined, key: string): number {
  if (a === undefined) return NaN;
  const num = parseNum(a);
  if (!Number.isNaN(num)) ev.args[key] = num;
  if (a.indexOf('<') < 0) return num;
  if (num === AT_FDCWD) {
    const t = annotationText(a);
    if (t !== undefined) hint(ev, 'cwd', t);
    return num;
  }
  const f = annotatedFd(a);
  if (f !== undefined) {
    if (key !== 'fd') hint(ev, `${key}Name`, f.name);
    if (ev.fd === undefined) {
      ev.fd = plainFd(f);
      if (f.label !== undefined) hint(ev, 'fdLabel', f.label);
    }
  }
  return num;
}

/** An fd returned by the call (open, socket, accept, dup…): becomes `ev.fd` (overriding argument fds). */
function retFd(ev: RawEvent, ret: string, fallbackType: EventFd['type'] = 'unknown', fallbackName = ''): void {
  if (typeof ev.res !== 'number' || ev.res < 0) return;
  const f = annotatedFd(ret);
  if (f !== undefined) {
    ev.fd = plainFd(f);
    if (f.label !== undefined) hint(ev, 'fdLabel', f.label);
    else if (ev.hints?.fdLabel !== undefined) delete ev.hints.fdLabel;
  } else ev.fd = { num: ev.res, type: fallbackType, name: fallbackName };
}

function pathArg(ev: RawEvent, a: string | undefined, key: string): string | undefined {
  if (a === undefined) return undefined;
  const s = decodeString(a);
  if (s !== undefined) {
    ev.args[key] = s;
    if (wasTruncated()) markTruncated(ev, key); // strace's -s cap: `"…"...`
  }
  return s;
}

function rawArg(ev: RawEvent, a: string | undefined, key: string): void {
  if (a !== undefined) ev.args[key] = a;
}

function numArg(ev: RawEvent, a: string | undefined, key: string): number {
  if (a === undefined) return NaN;
  const v = parseNum(a);
  if (!Number.isNaN(v)) ev.args[key] = v;
  else ev.args[key] = a;
  return v;
}

function formatAddr(sa: SockAddr): string {
  if (sa.path !== undefined) return sa.path;
  if (sa.ip !== undefined) return `${sa.ip}:${sa.port ?? 0}`;
  return sa.family;
}

function addrArg(ev: RawEvent, a: string | undefined, key: string): void {
  if (a === undefined || a.indexOf('sa_family=') < 0) return;
  const sa = decodeSockaddr(a);
  if (sa === undefined) return;
  ev.args[key] = formatAddr(sa);
  hint(ev, 'family', sa.family);
  if (sa.ip !== undefined) hint(ev, 'ip', sa.ip);
  if (sa.port !== undefined && !Number.isNaN(sa.port)) hint(ev, 'port', sa.port);
  if (sa.path !== undefined) hint(ev, 'path', sa.path);
}

function dataArg(ev: RawEvent, a: string | undefined, p: StraceParser): void {
  if (a === undefined) return;
  const s = decodeString(a, p.dataCap, 'latin1');
  if (s !== undefined) {
    ev.args.data = s;
    if (wasTruncated()) markTruncated(ev, 'data');
  }
}

function pidArg(ev: RawEvent, a: string | undefined, key: string, hintKey: string): void {
  if (a === undefined) return;
  numArg(ev, a, key);
  const host = translatedPid(a);
  if (host !== undefined) hint(ev, hintKey, host);
}

function cloneFlagsOf(name: string, text: string): string {
  if (name === 'vfork') return 'CLONE_VM|CLONE_VFORK|SIGCHLD';
  if (name === 'fork') return 'SIGCHLD';
  return structField(text, 'flags') ?? '';
}

function decodeExec(ev: RawEvent, argv: string | undefined, envp: string | undefined, p: StraceParser): void {
  const args = argv !== undefined ? decodeStringArray(argv, p.stringCap) : undefined;
  if (args !== undefined) {
    if (wasTruncated()) markTruncated(ev, 'argv');
    ev.proc = { args, exe: args[0] ?? '' };
    ev.args.args = args.slice(1).join(' ');
  }
  const env = envp !== undefined ? decodeStringArray(envp, p.stringCap) : undefined;
  if (env !== undefined) {
    ev.env = env;
    if (wasTruncated()) markTruncated(ev, 'env');
  }
}

function decodeClone(ev: RawEvent, flags: string, ret: string): void {
  ev.args.flags = flags;
  hint(ev, 'cloneFlags', flags);
  if (typeof ev.res === 'number' && ev.res > 0) {
    hint(ev, 'childVpid', ev.res);
    const host = translatedPid(ret);
    if (host !== undefined) hint(ev, 'childPid', host);
  }
}

function socketFdType(domain: string): EventFd['type'] {
  if (domain === 'AF_INET') return 'ipv4';
  if (domain === 'AF_INET6') return 'ipv6';
  if (domain === 'AF_UNIX' || domain === 'AF_LOCAL') return 'unix';
  if (domain === 'AF_NETLINK') return 'netlink';
  if (domain === 'AF_PACKET') return 'packet';
  return 'unknown';
}

function l4proto(type: string, proto: string): string | undefined {
  if (proto.includes('ICMP')) return 'icmp';
  if (type.startsWith('SOCK_STREAM')) return 'tcp';
  if (type.startsWith('SOCK_DGRAM')) return 'udp';
  if (type.startsWith('SOCK_RAW')) return 'raw';
  return undefined;
}

const openAt: Decoder = (ev, a, ret) => {
  fdArg(ev, a[0], 'dirfd');
  pathArg(ev, a[1], 'name');
  rawArg(ev, a[2], 'flags');
  rawArg(ev, a[3], 'mode');
  retFd(ev, ret, 'file', typeof ev.args.name === 'string' ? ev.args.name : '');
  if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
};

const writeLike: Decoder = (ev, a, _ret, p) => {
  fdArg(ev, a[0], 'fd');
  dataArg(ev, a[1], p);
  numArg(ev, a[2], 'size');
};

const readLike: Decoder = (ev, a) => {
  fdArg(ev, a[0], 'fd');
  if (typeof ev.res === 'number') ev.args.size = ev.res;
};

const setIds = (names: string[]): Decoder => (ev, a) => {
  for (let k = 0; k < names.length; k++) numArg(ev, a[k], names[k]!);
};

const killLike: Decoder = (ev, a) => {
  pidArg(ev, a[0], 'pid', 'targetPid');
  rawArg(ev, a[1], 'sig');
};

const returnsFd = (type: EventFd['type']): Decoder => (ev, a, ret) => {
  if (a[0] !== undefined && a[0].charCodeAt(0) >= 48 && a[0].charCodeAt(0) <= 57 && a[0].indexOf('<') > 0) fdArg(ev, a[0], 'fd');
  retFd(ev, ret, type);
};

const pipeLike: Decoder = (ev, a) => {
  const pair = a[0] !== undefined ? decodeFdPair(a[0]) : undefined;
  if (pair === undefined) return;
  fdArg(ev, pair[0], 'fd1');
  ev.fd = undefined;
  numArg(ev, pair[1], 'fd2');
  const f2 = annotatedFd(pair[1]);
  const f1 = annotatedFd(pair[0]);
  hint(ev, 'fd1Name', f1?.name ?? 'pipe');
  hint(ev, 'fd2Name', f2?.name ?? 'pipe');
  rawArg(ev, a[1], 'flags');
};

const DECODERS: Record<string, Decoder> = {
  open: (ev, a, ret) => {
    pathArg(ev, a[0], 'name');
    rawArg(ev, a[1], 'flags');
    rawArg(ev, a[2], 'mode');
    retFd(ev, ret, 'file', typeof ev.args.name === 'string' ? ev.args.name : '');
    if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
  },
  openat: openAt,
  openat2: (ev, a, ret) => {
    fdArg(ev, a[0], 'dirfd');
    pathArg(ev, a[1], 'name');
    const how = a[2] ?? '';
    const flags = structField(how, 'flags');
    if (flags !== undefined) ev.args.flags = flags;
    const mode = structField(how, 'mode');
    if (mode !== undefined) ev.args.mode = mode;
    const resolve = structField(how, 'resolve');
    if (resolve !== undefined) ev.args.resolve = resolve;
    retFd(ev, ret, 'file', typeof ev.args.name === 'string' ? ev.args.name : '');
    if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
  },
  creat: (ev, a, ret) => {
    pathArg(ev, a[0], 'name');
    ev.args.flags = 'O_WRONLY|O_CREAT|O_TRUNC';
    rawArg(ev, a[1], 'mode');
    retFd(ev, ret, 'file', typeof ev.args.name === 'string' ? ev.args.name : '');
    if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
  },
  memfd_create: (ev, a, ret) => {
    const name = pathArg(ev, a[0], 'name') ?? '';
    rawArg(ev, a[1], 'flags');
    retFd(ev, ret, 'memfd', `memfd:${name}`);
    if (ev.fd !== undefined) { ev.fd.type = 'memfd'; ev.args.fd = ev.fd.num; }
  },
  execve: (ev, a, _ret, p) => {
    pathArg(ev, a[0], 'filename');
    decodeExec(ev, a[1], a[2], p);
  },
  execveat: (ev, a, _ret, p) => {
    fdArg(ev, a[0], 'dirfd');
    pathArg(ev, a[1], 'pathname');
    decodeExec(ev, a[2], a[3], p);
    rawArg(ev, a[4], 'flags');
  },
  clone: (ev, a, ret) => {
    let flags = '';
    for (let k = 0; k < a.length; k++) if (a[k]!.startsWith('flags=')) flags = a[k]!.slice(6);
    decodeClone(ev, flags, ret);
  },
  clone3: (ev, a, ret) => { decodeClone(ev, structField(a[0] ?? '', 'flags') ?? '', ret); },
  fork: (ev, _a, ret) => { decodeClone(ev, 'SIGCHLD', ret); },
  vfork: (ev, _a, ret) => { decodeClone(ev, 'CLONE_VM|CLONE_VFORK|SIGCHLD', ret); },
  socket: (ev, a, ret) => {
    const domain = a[0] ?? '';
    const type = a[1] ?? '';
    const proto = a[2] ?? '';
    ev.args.domain = domain;
    ev.args.type = type;
    ev.args.proto = proto;
    const l4 = domain === 'AF_INET' || domain === 'AF_INET6' ? l4proto(type, proto) : undefined;
    if (l4 !== undefined) hint(ev, 'l4proto', l4);
    retFd(ev, ret, socketFdType(domain));
    if (ev.fd !== undefined && ev.fd.type === 'unknown') ev.fd.type = socketFdType(domain);
  },
  socketpair: (ev, a) => {
    rawArg(ev, a[0], 'domain');
    rawArg(ev, a[1], 'type');
    rawArg(ev, a[2], 'proto');
    const pair = a[3] !== undefined ? decodeFdPair(a[3]) : undefined;
    if (pair !== undefined) { numArg(ev, pair[0], 'fd1'); numArg(ev, pair[1], 'fd2'); }
  },
  connect: (ev, a) => { fdArg(ev, a[0], 'fd'); addrArg(ev, a[1], 'addr'); },
  bind: (ev, a) => { fdArg(ev, a[0], 'fd'); addrArg(ev, a[1], 'addr'); },
  listen: (ev, a) => { fdArg(ev, a[0], 'fd'); numArg(ev, a[1], 'backlog'); },
  accept: (ev, a, ret) => {
    fdArg(ev, a[0], 'listenfd');
    hint(ev, 'listenFd', parseNum(a[0] ?? ''));
    addrArg(ev, a[1], 'tuple');
    rawArg(ev, a[3], 'flags');
    retFd(ev, ret);
    if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
  },
  sendto: (ev, a, _ret, p) => {
    fdArg(ev, a[0], 'fd');
    dataArg(ev, a[1], p);
    numArg(ev, a[2], 'size');
    addrArg(ev, a[4], 'tuple');
  },
  sendmsg: (ev, a, _ret, p) => {
    fdArg(ev, a[0], 'fd');
    const msg = a[1] ?? '';
    addrArg(ev, msg, 'tuple');
    const base = structField(msg, 'iov_base');
    if (base !== undefined) dataArg(ev, base, p);
    if (typeof ev.res === 'number') ev.args.size = ev.res;
  },
  recvfrom: readLike,
  recvmsg: readLike,
  read: readLike,
  pread64: readLike,
  readv: readLike,
  preadv: readLike,
  write: writeLike,
  pwrite64: writeLike,
  writev: (ev, a, _ret, p) => {
    fdArg(ev, a[0], 'fd');
    const base = structField(a[1] ?? '', 'iov_base');
    if (base !== undefined) dataArg(ev, base, p);
    if (typeof ev.res === 'number') ev.args.size = ev.res;
  },
  pwritev: (ev, a) => { fdArg(ev, a[0], 'fd'); if (typeof ev.res === 'number') ev.args.size = ev.res; },
  sendfile: (ev, a) => {
    fdArg(ev, a[0], 'out_fd');
    fdArg(ev, a[1], 'in_fd');
    numArg(ev, a[3], 'size');
  },
  copy_file_range: (ev, a) => {
    fdArg(ev, a[2], 'fdout');
    fdArg(ev, a[0], 'fdin');
    numArg(ev, a[4], 'len');
  },
  splice: (ev, a) => { fdArg(ev, a[2], 'fd_out'); fdArg(ev, a[0], 'fd_in'); },
  close: (ev, a) => { fdArg(ev, a[0], 'fd'); },
  close_range: (ev, a) => { numArg(ev, a[0], 'first'); numArg(ev, a[1], 'last'); rawArg(ev, a[2], 'flags'); },
  dup: (ev, a, ret) => { fdArg(ev, a[0], 'oldfd'); retFd(ev, ret); },
  dup2: (ev, a, ret) => { fdArg(ev, a[0], 'oldfd'); numArg(ev, a[1], 'newfd'); retFd(ev, ret); },
  dup3: (ev, a, ret) => { fdArg(ev, a[0], 'oldfd'); numArg(ev, a[1], 'newfd'); rawArg(ev, a[2], 'flags'); retFd(ev, ret); },
  fcntl: (ev, a, ret) => {
    fdArg(ev, a[0], 'fd');
    const cmd = a[1] ?? '';
    ev.args.cmd = cmd;
    if (cmd.startsWith('F_DUPFD')) { hint(ev, 'dup', true); retFd(ev, ret); }
  },
  pipe: pipeLike,
  pipe2: pipeLike,
  eventfd: returnsFd('event'),
  eventfd2: returnsFd('event'),
  epoll_create: returnsFd('event'),
  epoll_create1: returnsFd('event'),
  signalfd: returnsFd('signalfd'),
  signalfd4: returnsFd('signalfd'),
  timerfd_create: returnsFd('timerfd'),
  inotify_init: returnsFd('inotify'),
  inotify_init1: returnsFd('inotify'),
  userfaultfd: returnsFd('unknown'),
  pidfd_open: returnsFd('unknown'),
  perf_event_open: returnsFd('unknown'),
  fanotify_init: returnsFd('unknown'),
  unlink: (ev, a) => { pathArg(ev, a[0], 'path'); },
  rmdir: (ev, a) => { pathArg(ev, a[0], 'path'); },
  unlinkat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'name'); rawArg(ev, a[2], 'flags'); },
  rename: (ev, a) => { pathArg(ev, a[0], 'oldpath'); pathArg(ev, a[1], 'newpath'); },
  renameat: (ev, a) => {
    fdArg(ev, a[0], 'olddirfd'); pathArg(ev, a[1], 'oldpath'); fdArg(ev, a[2], 'newdirfd'); pathArg(ev, a[3], 'newpath');
  },
  renameat2: (ev, a) => {
    fdArg(ev, a[0], 'olddirfd'); pathArg(ev, a[1], 'oldpath'); fdArg(ev, a[2], 'newdirfd'); pathArg(ev, a[3], 'newpath');
    rawArg(ev, a[4], 'flags');
  },
  mkdir: (ev, a) => { pathArg(ev, a[0], 'path'); rawArg(ev, a[1], 'mode'); },
  mkdirat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'path'); rawArg(ev, a[2], 'mode'); },
  mknod: (ev, a) => { pathArg(ev, a[0], 'path'); rawArg(ev, a[1], 'mode'); },
  mknodat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'path'); rawArg(ev, a[2], 'mode'); },
  symlink: (ev, a) => { pathArg(ev, a[0], 'target'); pathArg(ev, a[1], 'linkpath'); },
  symlinkat: (ev, a) => { pathArg(ev, a[0], 'target'); fdArg(ev, a[1], 'linkdirfd'); pathArg(ev, a[2], 'linkpath'); },
  link: (ev, a) => { pathArg(ev, a[0], 'oldpath'); pathArg(ev, a[1], 'newpath'); },
  linkat: (ev, a) => {
    fdArg(ev, a[0], 'olddir'); pathArg(ev, a[1], 'oldpath'); fdArg(ev, a[2], 'newdir'); pathArg(ev, a[3], 'newpath');
    rawArg(ev, a[4], 'flags');
  },
  chmod: (ev, a) => { pathArg(ev, a[0], 'filename'); rawArg(ev, a[1], 'mode'); },
  fchmod: (ev, a) => { fdArg(ev, a[0], 'fd'); rawArg(ev, a[1], 'mode'); },
  fchmodat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'filename'); rawArg(ev, a[2], 'mode'); },
  chown: (ev, a) => { pathArg(ev, a[0], 'path'); numArg(ev, a[1], 'uid'); numArg(ev, a[2], 'gid'); },
  lchown: (ev, a) => { pathArg(ev, a[0], 'path'); numArg(ev, a[1], 'uid'); numArg(ev, a[2], 'gid'); },
  fchown: (ev, a) => { fdArg(ev, a[0], 'fd'); numArg(ev, a[1], 'uid'); numArg(ev, a[2], 'gid'); },
  fchownat: (ev, a) => {
    fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'pathname'); numArg(ev, a[2], 'uid'); numArg(ev, a[3], 'gid'); rawArg(ev, a[4], 'flags');
  },
  truncate: (ev, a) => { pathArg(ev, a[0], 'path'); numArg(ev, a[1], 'length'); },
  ftruncate: (ev, a) => { fdArg(ev, a[0], 'fd'); numArg(ev, a[1], 'length'); },
  chdir: (ev, a) => { pathArg(ev, a[0], 'path'); },
  fchdir: (ev, a) => { fdArg(ev, a[0], 'fd'); },
  chroot: (ev, a) => { pathArg(ev, a[0], 'path'); },
  ptrace: (ev, a) => { rawArg(ev, a[0], 'request'); pidArg(ev, a[1], 'pid', 'targetPid'); },
  process_vm_writev: (ev, a) => { pidArg(ev, a[0], 'pid', 'targetPid'); },
  process_vm_readv: (ev, a) => { pidArg(ev, a[0], 'pid', 'targetPid'); },
  mount: (ev, a) => {
    pathArg(ev, a[0], 'dev'); pathArg(ev, a[1], 'dir'); pathArg(ev, a[2], 'type'); rawArg(ev, a[3], 'flags');
    pathArg(ev, a[4], 'data');
  },
  umount: (ev, a) => { pathArg(ev, a[0], 'name'); },
  umount2: (ev, a) => { pathArg(ev, a[0], 'name'); rawArg(ev, a[1], 'flags'); },
  pivot_root: (ev, a) => { pathArg(ev, a[0], 'new_root'); pathArg(ev, a[1], 'put_old'); },
  unshare: (ev, a) => { rawArg(ev, a[0], 'flags'); },
  setns: (ev, a) => { fdArg(ev, a[0], 'fd'); rawArg(ev, a[1], 'nstype'); },
  init_module: (ev, a) => { numArg(ev, a[1], 'length'); pathArg(ev, a[2], 'uargs'); },
  finit_module: (ev, a) => { fdArg(ev, a[0], 'fd'); pathArg(ev, a[1], 'uargs'); rawArg(ev, a[2], 'flags'); },
  delete_module: (ev, a) => { pathArg(ev, a[0], 'name'); rawArg(ev, a[1], 'flags'); },
  bpf: (ev, a) => { rawArg(ev, a[0], 'cmd'); },
  setuid: setIds(['uid']),
  setgid: setIds(['gid']),
  setreuid: setIds(['ruid', 'euid']),
  setregid: setIds(['rgid', 'egid']),
  setresuid: setIds(['ruid', 'euid', 'suid']),
  setresgid: setIds(['rgid', 'egid', 'sgid']),
  setsid: () => { /* no args */ },
  setpgid: (ev, a) => { pidArg(ev, a[0], 'pid', 'targetPid'); numArg(ev, a[1], 'pgid'); },
  kill: killLike,
  tkill: killLike,
  tgkill: (ev, a) => { pidArg(ev, a[0], 'pid', 'targetPid'); numArg(ev, a[1], 'tid'); rawArg(ev, a[2], 'sig'); },
  exit: (ev, a) => { numArg(ev, a[0], 'status'); },
  exit_group: (ev, a) => { numArg(ev, a[0], 'status'); },
  prctl: (ev, a) => {
    rawArg(ev, a[0], 'option');
    if (a[1] !== undefined && a[1].charCodeAt(0) === 34) pathArg(ev, a[1], 'arg2_str');
    // strace prints PR_SET_NAME's name up to TASK_COMM_LEN (16) bytes: the kernel keeps no more, so
    // its `...` is not a blind spot (the thread is named exactly what was printed).
    if (ev.truncatedArgs !== undefined) {
      ev.truncatedArgs = ev.truncatedArgs.filter((k) => k !== 'arg2_str');
      if (ev.truncatedArgs.length === 0) delete ev.truncatedArgs;
    }
  },
  ioctl: (ev, a) => { fdArg(ev, a[0], 'fd'); rawArg(ev, a[1], 'request'); },
  mprotect: (ev, a) => { rawArg(ev, a[0], 'addr'); numArg(ev, a[1], 'length'); rawArg(ev, a[2], 'prot'); },
  mmap: (ev, a) => { numArg(ev, a[1], 'length'); rawArg(ev, a[2], 'prot'); rawArg(ev, a[3], 'flags'); fdArg(ev, a[4], 'fd'); },
  capset: () => { /* struct not decoded */ },
  readlink: (ev, a) => { pathArg(ev, a[0], 'path'); },
  readlinkat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'path'); },
  stat: (ev, a) => { pathArg(ev, a[0], 'path'); },
  lstat: (ev, a) => { pathArg(ev, a[0], 'path'); },
  newfstatat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'path'); },
  statx: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'path'); },
  access: (ev, a) => { pathArg(ev, a[0], 'name'); rawArg(ev, a[1], 'mode'); },
  faccessat: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'name'); rawArg(ev, a[2], 'mode'); },
  faccessat2: (ev, a) => { fdArg(ev, a[0], 'dirfd'); pathArg(ev, a[1], 'name'); rawArg(ev, a[2], 'mode'); },
};

/** Syscalls this parser decodes arguments for (others still become events, with `args.fd` when evident). */
export const STRACE_DECODED_SYSCALLS: readonly string[] = Object.keys(DECODERS);

/** The label strace -yy prints for sockets tells TCP from UDP even when addresses are unknown. */
export { l4protoOfLabel };
