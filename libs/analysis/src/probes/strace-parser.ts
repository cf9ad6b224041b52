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
import {
  type ArgKind, type ArgSig, inetL4proto, type ReturnSig, signatureOf, socketFdType, type SyscallSignature,
} from './syscall-signatures.js';
import { ChildAttribution } from './child-attribution.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

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

export class StraceParser implements TraceParser {
  readonly source = 'strace' as const;
  readonly stats: ParserStats = emptyStats();
  private readonly pending = new Map<number, Pending>();
  /** Parents of children seen before their parent's clone/fork/vfork returned. */
  private readonly children = new ChildAttribution();
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
    if (!this.children.isLive(pid)) this.children.noteNew(pid);
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
      if (CLONE_FAMILY.has(name)) this.children.cloneStarted(pid, cloneFlagsOf(name, text));
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
    this.children.clearCloning();
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }

  private emit(ev: RawEvent): void {
    this.children.annotate(ev);
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
    if (CLONE_FAMILY.has(name)) this.children.cloneEnded(pid);
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
    if (!this.children.isLive(pid)) this.children.noteNew(pid);
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
    this.children.forget(pid);
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
    const sig = signatureOf(name, 'strace');
    if (sig !== undefined) decodeCall(ev, sig, a, ret, this);
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

type Ret = string;

/** How strace spells each argument kind (syscall-signatures.ts); false stops the call's decoding. */
const KIND: Record<ArgKind, (ev: RawEvent, a: string[], s: ArgSig, p: StraceParser) => boolean | void> = {
  fd: (ev, a, s) => { fdArg(ev, a[s.at], s.key); },
  namedfd: (ev, a, s) => {
    const v = a[s.at];
    if (v !== undefined && v.charCodeAt(0) >= 48 && v.charCodeAt(0) <= 57 && v.indexOf('<') > 0) fdArg(ev, v, s.key);
  },
  listenfd: (ev, a, s) => { fdArg(ev, a[s.at], s.key); hint(ev, 'listenFd', parseNum(a[s.at] ?? '')); },
  newfd: (ev, a, s) => { numArg(ev, a[s.at], s.key); },
  path: (ev, a, s) => { pathArg(ev, a[s.at], s.key); },
  num: (ev, a, s) => { numArg(ev, a[s.at], s.key); },
  pid: (ev, a, s) => { pidArg(ev, a[s.at], s.key, 'targetPid'); },
  raw: rawKind, mode: rawKind, oflags: rawKind, atflags: rawKind, fdflags: rawKind, mfdflags: rawKind,
  fcntlcmd: rawKind, ptracereq: rawKind, prctlopt: rawKind, bpfcmd: rawKind, socktype: rawKind, nsflags: rawKind, nstype: rawKind,
  cloneflags: (ev, a, s) => {
    let flags = '';
    for (let k = 0; k < a.length; k++) if (a[k]!.startsWith('flags=')) flags = a[k]!.slice(6);
    ev.args[s.key] = flags;
  },
  clone3flags: (ev, a, s) => { ev.args[s.key] = structField(a[s.at] ?? '', 'flags') ?? ''; },
  const: (ev, _a, s) => { ev.args[s.key] = s.value!; },
  data: (ev, a, s, p) => { dataArg(ev, a[s.at], p); },
  iov: (ev, a, s, p) => {
    const base = structField(a[s.at] ?? '', 'iov_base');
    if (base !== undefined) dataArg(ev, base, p);
  },
  msghdr: (ev, a, s, p) => {
    const msg = a[s.at] ?? '';
    addrArg(ev, msg, s.key);
    const base = structField(msg, 'iov_base');
    if (base !== undefined) dataArg(ev, base, p);
  },
  addr: (ev, a, s) => { addrArg(ev, a[s.at], s.key); },
  argv: (ev, a, s, p) => {
    const argv = a[s.at];
    const args = argv !== undefined ? decodeStringArray(argv, p.stringCap) : undefined;
    if (args !== undefined) {
      if (wasTruncated()) markTruncated(ev, 'argv');
      ev.proc = { args, exe: args[0] ?? '' };
      ev.args.args = args.slice(1).join(' ');
    }
  },
  envp: (ev, a, s, p) => {
    const envp = a[s.at];
    const env = envp !== undefined ? decodeStringArray(envp, p.stringCap) : undefined;
    if (env !== undefined) {
      ev.env = env;
      if (wasTruncated()) markTruncated(ev, 'env');
    }
  },
  pipefds: (ev, a, s) => {
    const pair = a[s.at] !== undefined ? decodeFdPair(a[s.at]!) : undefined;
    if (pair === undefined) return false;
    fdArg(ev, pair[0], 'fd1');
    ev.fd = undefined;
    numArg(ev, pair[1], 'fd2');
    const f2 = annotatedFd(pair[1]);
    const f1 = annotatedFd(pair[0]);
    hint(ev, 'fd1Name', f1?.name ?? 'pipe');
    hint(ev, 'fd2Name', f2?.name ?? 'pipe');
    return true;
  },
  fdpair: (ev, a, s) => {
    const pair = a[s.at] !== undefined ? decodeFdPair(a[s.at]!) : undefined;
    if (pair !== undefined) { numArg(ev, pair[0], 'fd1'); numArg(ev, pair[1], 'fd2'); }
  },
  openhow: (ev, a, s) => {
    const how = a[s.at] ?? '';
    const flags = structField(how, 'flags');
    if (flags !== undefined) ev.args.flags = flags;
    const mode = structField(how, 'mode');
    if (mode !== undefined) ev.args.mode = mode;
    const resolve = structField(how, 'resolve');
    if (resolve !== undefined) ev.args.resolve = resolve;
  },
  taskname: (ev, a, s) => {
    if (a[s.at] !== undefined && a[s.at]!.charCodeAt(0) === 34) pathArg(ev, a[s.at], s.key);
    // strace prints PR_SET_NAME's name up to TASK_COMM_LEN (16) bytes: the kernel keeps no more, so
    // its `...` is not a blind spot (the thread is named exactly what was printed).
    if (ev.truncatedArgs !== undefined) {
      ev.truncatedArgs = ev.truncatedArgs.filter((k) => k !== s.key);
      if (ev.truncatedArgs.length === 0) delete ev.truncatedArgs;
    }
  },
};

function rawKind(ev: RawEvent, a: string[], s: ArgSig): void {
  const v = a[s.at];
  if (v !== undefined) ev.args[s.key] = v;
  else if (s.orEmpty) ev.args[s.key] = '';
}

function fileName(ev: RawEvent): string {
  return typeof ev.args.name === 'string' ? ev.args.name : '';
}

/** How strace shows what a call returns (syscall-signatures.ts ReturnSig). */
function decodeReturn(ev: RawEvent, r: ReturnSig, ret: Ret): void {
  if (typeof r === 'object') { retFd(ev, ret, r.fd); return; }
  switch (r) {
    case 'file':
      retFd(ev, ret, 'file', fileName(ev));
      if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
      return;
    case 'memfd':
      retFd(ev, ret, 'memfd', `memfd:${fileName(ev)}`);
      if (ev.fd !== undefined) { ev.fd.type = 'memfd'; ev.args.fd = ev.fd.num; }
      return;
    case 'socket': {
      const domain = String(ev.args.domain);
      const l4 = domain === 'AF_INET' || domain === 'AF_INET6' ? inetL4proto(String(ev.args.type), String(ev.args.proto)) : undefined;
      if (l4 !== undefined) hint(ev, 'l4proto', l4);
      retFd(ev, ret, socketFdType(domain));
      if (ev.fd !== undefined && ev.fd.type === 'unknown') ev.fd.type = socketFdType(domain);
      return;
    }
    case 'accept':
      retFd(ev, ret);
      if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
      return;
    case 'dup': retFd(ev, ret); return;
    case 'dupfd':
      if (String(ev.args.cmd).startsWith('F_DUPFD')) { hint(ev, 'dup', true); retFd(ev, ret); }
      return;
    case 'child': {
      hint(ev, 'cloneFlags', ev.args.flags as string);
      if (typeof ev.res === 'number' && ev.res > 0) {
        hint(ev, 'childVpid', ev.res);
        const host = translatedPid(ret);
        if (host !== undefined) hint(ev, 'childPid', host);
      }
      return;
    }
    case 'size': if (typeof ev.res === 'number') ev.args.size = ev.res; return;
  }
}

/** Decodes a call's arguments and return per its signature. */
function decodeCall(ev: RawEvent, sig: SyscallSignature, a: string[], ret: Ret, p: StraceParser): void {
  for (const s of sig.args) if ((s.only === undefined || s.only === 'strace') && KIND[s.kind](ev, a, s, p) === false) return;
  if (sig.returns !== undefined) decodeReturn(ev, sig.returns, ret);
}

/** The label strace -yy prints for sockets tells TCP from UDP even when addresses are unknown. */
export { l4protoOfLabel };
