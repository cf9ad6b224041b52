/**
 * Parser of the `ebpf` probe's raw trace: bpftrace's JSON output (`-f json`) of the program built
 * by libs/sandbox/src/probes/ebpf.probe.ts from the table in `bpftrace-layout.ts`.
 *
 * Every line is a bpftrace object; `printf` objects carry one record each (tab-separated, the
 * text JSON-escaped by bpftrace, so a string holding a newline or tab cannot forge a record):
 *
 * - `B  1  <mono ns>  <epoch offset ns>  [<string cap>]`   BEGIN: probes attached; wall clock = mono +
 *   offset; the engine's string buffer in bytes (the libbpf engine prints PATH_MAX; absent: bpftrace's
 *   BPFTRACE_STRLEN). A string that fills it (cap − 1 bytes) may have been cut and is marked truncated.
 * - `S  <tid>  <ts>  <key>  <value>`           one string of the record of (tid, ts) that follows
 * - `Y  <syscall>  <ts>  <pid>  <tid>  <ret>  <numbers…>`   a completed syscall (numbers per the table)
 * - `Q  <syscall>  <ts>  <pid>  <tid>  <ret>`  a syscall whose entry was not seen (in flight at attach)
 * - `X  <ts>  <pid>  <old tid>  <execveat?>  <dirfd>  <flags>  <argc>  <env cut?>`  successful exec
 * - `F  <ts>  <pid>  <tid>  <child tid>  <clone flags>`   sched_process_fork (before the child runs)
 * - `Z  <ts>  <pid>  <tid>  <exit code>`       sched_process_exit (wait status)
 * - `A  <ts>  <pid>  <tid>  <i386|x32>  <nr>`   first call of the process through a 32-bit ABI (libbpf
 *   engine): a `compat_syscall` event; the traced calls themselves follow as `Y` records
 * - `C  <x86_64 nrs>  <i386 nrs>  <x32 nrs>`   every syscall number the scope used, traced or not
 *   (libbpf engine, at the end; comma-separated, each below SYSCALL_SET_NR): the run's syscall set
 * - `E  <ts>`                                  END: bpftrace stopped cleanly
 *
 * `lost_events` objects (perf buffer overflow) are counted in `detail.perfLost`; the probe reports
 * them as the run's lost events (ProbeStats.lost), so they are not added to `stats.lost` here.
 * bpftrace reads one perf buffer per CPU, so records of different CPUs can come out of order:
 * events are re-ordered by timestamp through a bounded window before they are emitted.
 */
import { COMPAT_SYSCALL, type EventFd, markTruncated, type RawEvent } from '../events/event.js';
import { I386_SYSCALL_NR } from './i386-syscalls.js';
import { BT_DATA_CAP, BT_STRLEN, BT_SYSCALLS, btNumbers, type BtSyscall } from './bpftrace-layout.js';
import { ERRNO } from './errno.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type SyscallNumberSet, type TraceParser } from './trace-parser.js';
import {
  atFlags, BPF_CMDS, cloneFlags, fcntlCmd, fdFlags, familyName, fileTypeMode, memfdFlags, mountFlags, nsFlags, octalMode, openFlags,
  PRCTL_OPTIONS, PTRACE, renameFlags, signalName, socketProto, sockType,
} from './linux-constants.js';

/** The shared decoders (linux-constants.ts), re-exported for the parser's tests and callers. */
export { cloneFlags, octalMode, openFlags, sockType };

export interface BpftraceParserOptions {
  /** Events held back to put records of different CPUs in timestamp order. Default 4096. */
  reorderWindow?: number;
}

const PRINTF = '{"type": "printf", "data": "';
const LOST = '{"type": "lost_events"';
const BY_NAME = new Map<string, BtSyscall>(BT_SYSCALLS.map((s) => [s.name, s]));
const ERRNO_NAME: Record<number, string> = Object.fromEntries(Object.entries(ERRNO).map(([k, v]) => [v, k]));
const I386_NAME = new Map<number, string>(Object.entries(I386_SYSCALL_NR).map(([k, v]) => [v, k]));
const CLONE_FAMILY = new Set(['clone', 'clone3', 'fork', 'vfork']);
const RAW_KEYS = new Set(['data', 'addr.abstract', 'tuple.abstract']);
/** Numbers per ABI in the C record are below this (the kernel map's size per ABI; x32's own calls reach 547). */
export const SYSCALL_SET_NR = 1024;
/** Longest C record accepted: three fields of SYSCALL_SET_NR numbers of at most 4 digits and a comma. */
const MAX_SET_RECORD = 2 + 3 * (SYSCALL_SET_NR * 5 + 1);
const SET_ABIS = ['x86_64', 'i386', 'x32'] as const;

/**
 * Parses a C record (`C<TAB>x86_64<TAB>i386<TAB>x32`, each a comma-separated list of distinct
 * numbers below SYSCALL_SET_NR, possibly empty). Returns undefined for anything else: too long,
 * wrong field count, a non-number, a number out of range, a duplicate.
 */
export function parseSyscallSetRecord(rec: string): SyscallNumberSet | undefined {
  if (rec.length > MAX_SET_RECORD || !rec.startsWith('C\t')) return undefined;
  const f = rec.slice(2).split('\t', 4);
  if (f.length !== 3) return undefined;
  const out: SyscallNumberSet = { x86_64: [], i386: [], x32: [] };
  for (let a = 0; a < 3; a++) {
    const field = f[a]!;
    if (field === '') continue;
    const seen = new Set<number>();
    for (const t of field.split(',', SYSCALL_SET_NR + 1)) {
      if (!/^(?:0|[1-9][0-9]{0,3})$/.test(t)) return undefined;
      const nr = Number(t);
      if (nr >= SYSCALL_SET_NR || seen.has(nr)) return undefined;
      seen.add(nr);
    }
    if (seen.size > SYSCALL_SET_NR) return undefined;
    out[SET_ABIS[a]!] = [...seen].sort((x, y) => x - y);
  }
  return out;
}

/** Key (not a record name: names have no NUL) under which takeStrings lists the names of cut strings. */
const CUT = '\u0000cut';

interface Held { ev: RawEvent; n: number; fork?: { child: number; parent: number; flags: string } }

/** Decodes bpftrace's JSON string escapes into a byte string (one char per byte; `\uffffffXX` is byte XX). */
export function unescapeBpftraceJson(s: string, from: number, to: number): string {
  let i = s.indexOf('\\', from);
  if (i < 0 || i >= to) return s.slice(from, to);
  let out = s.slice(from, i);
  let start = i;
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c !== 92) { i++; continue; }
    out += s.slice(start, i);
    const e = s.charCodeAt(i + 1);
    switch (e) {
      case 110: out += '\n'; i += 2; break;
      case 116: out += '\t'; i += 2; break;
      case 114: out += '\r'; i += 2; break;
      case 98: out += '\b'; i += 2; break;
      case 102: out += '\f'; i += 2; break;
      case 117: { // \uXXXX or bpftrace's sign-extended \uffffffXX
        if (s.startsWith('ffffff', i + 2) && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 8, i + 10))) {
          out += String.fromCharCode(parseInt(s.slice(i + 8, i + 10), 16));
          i += 10;
        } else {
          out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
          i += 6;
        }
        break;
      }
      default: out += s[i + 1] ?? ''; i += 2; // \" \\ \/
    }
    start = i;
  }
  return out + s.slice(start, to);
}

/** Byte string (one char per byte) → UTF-8 text, when it holds non-ASCII bytes. */
function utf8(b: string): string {
  for (let i = 0; i < b.length; i++) if (b.charCodeAt(i) > 127) return Buffer.from(b, 'latin1').toString('utf8');
  return b;
}

/** bpftrace `%r` text (`\xNN` for non-printable bytes) → byte string. */
export function unhexBuf(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeNumber(kind: string, v: number): string | number {
  switch (kind) {
    case 'oflags': return openFlags(v);
    case 'mode': return octalMode(v);
    case 'fmode': return fileTypeMode(v);
    case 'clone': case 'clone3': return cloneFlags(v);
    case 'domain': return familyName(v);
    case 'socktype': return sockType(v);
    case 'ptrace': return PTRACE[v] ?? String(v);
    case 'fcntl': return fcntlCmd(v);
    case 'mount': return mountFlags(v);
    case 'mfd': return memfdFlags(v);
    case 'at': return atFlags(v);
    case 'rename': return renameFlags(v);
    case 'sig': return signalName(v);
    case 'ns': return nsFlags(v);
    case 'bpf': return BPF_CMDS[v] ?? String(v);
    case 'prctl': return PRCTL_OPTIONS[v] ?? String(v);
    default: return v;
  }
}

function ipv4(word: number): string {
  return `${word & 255}.${(word >>> 8) & 255}.${(word >>> 16) & 255}.${(word >>> 24) & 255}`;
}

/** Two little-endian u64 halves (hex) of an in6_addr → the compressed text form (RFC 5952, like inet_ntop). */
export function ipv6(hiHex: string, loHex: string): string {
  const bytes: number[] = [];
  for (const h of [hiHex, loHex]) {
    const p = h.padStart(16, '0');
    for (let k = 7; k >= 0; k--) bytes.push(parseInt(p.slice(k * 2, k * 2 + 2), 16));
  }
  const words: number[] = [];
  for (let k = 0; k < 16; k += 2) words.push((bytes[k]! << 8) | bytes[k + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  let best = -1;
  let bestLen = 0;
  for (let k = 0; k < 8;) {
    if (words[k] !== 0) { k++; continue; }
    let e = k;
    while (e < 8 && words[e] === 0) e++;
    if (e - k > bestLen && e - k >= 2) { best = k; bestLen = e - k; }
    k = e;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function socketFdType(domain: string): EventFd['type'] {
  if (domain === 'AF_INET') return 'ipv4';
  if (domain === 'AF_INET6') return 'ipv6';
  if (domain === 'AF_UNIX') return 'unix';
  if (domain === 'AF_NETLINK') return 'netlink';
  if (domain === 'AF_PACKET') return 'packet';
  return 'unknown';
}

function hint(ev: RawEvent, key: string, value: string | number | boolean): void {
  (ev.hints ??= {})[key] = value;
}

/** Min-heap of held events by (ts, arrival). */
class Reorder {
  private readonly h: Held[] = [];
  get size(): number { return this.h.length; }
  push(x: Held): void {
    const h = this.h;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Held | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
  private less(a: Held, b: Held): boolean {
    return a.ev.ts < b.ev.ts || (a.ev.ts === b.ev.ts && a.n < b.n);
  }
}

export class BpftraceParser implements TraceParser {
  readonly source = 'ebpf' as const;
  readonly stats: ParserStats = emptyStats();
  private offset = 0;
  private began = false;
  private set: SyscallNumberSet | undefined;
  /** String buffer of the engine that wrote the trace (B record); strings of cap − 1 bytes may be cut. */
  private strCap = BT_STRLEN;
  /**
   * The libbpf engine reads argv/env as whole areas (not one capped string each): a vector it cut is
   * reported by count (argc) and the X record's env flag, so its strings are not checked against strCap.
   */
  private vectorsByCount = false;
  private arrival = 0;
  private lastEmittedTs = -Infinity;
  /** Strings of records not yet seen, by `tid:ts`. */
  private readonly strings = new Map<string, Record<string, string[]>>();
  private readonly firstHint = new Map<number, { parentPid: number; flags: string }>();
  private readonly held = new Reorder();
  private readonly window: number;
  /** `tid\tts\tname` of strings that filled the engine's buffer (rare). */
  private cutKeys: Set<string> | undefined;

  constructor(private readonly sink: RawEventSink, options: BpftraceParserOptions = {}) {
    this.window = options.reorderWindow ?? 4096;
    const d = this.stats.detail;
    d.perfLost = 0; d.orphanReturns = 0; d.orphanStrings = 0; d.outOfOrder = 0; d.execs = 0; d.forks = 0; d.exits = 0; d.ended = 0;
  }

  write(line: string): void {
    this.stats.lines++;
    if (line.length === 0) return;
    if (!line.startsWith(PRINTF)) {
      if (line.startsWith(LOST)) {
        const m = /"events":\s*(\d+)/.exec(line);
        this.stats.detail.perfLost! += m ? Number(m[1]) : 1;
        return;
      }
      if (line.startsWith('{"type": ')) return; // attached_probes, map dumps, …
      return this.unparsed(line);
    }
    let end = line.length - 2;
    if (!line.endsWith('"}')) return this.unparsed(line);
    if (line.endsWith('\\n"}')) end -= 2;
    const rec = unescapeBpftraceJson(line, PRINTF.length, end);
    const kind = rec.charCodeAt(0);
    if (rec.charCodeAt(1) !== 9) return this.unparsed(line);
    switch (kind) {
      case 83: return this.stringRecord(rec, line); // S
      case 89: case 81: return this.syscallRecord(rec, line, kind === 81); // Y, Q
      case 88: return this.execRecord(rec, line); // X
      case 70: return this.forkRecord(rec, line); // F
      case 90: return this.exitRecord(rec, line); // Z
      case 65: return this.abiRecord(rec, line); // A
      case 66: { // B
        const f = rec.split('\t');
        this.offset = Number(f[3] ?? 0);
        const cap = Number(f[4]);
        if (Number.isInteger(cap) && cap >= 16) { this.strCap = cap; this.vectorsByCount = true; }
        this.began = true;
        return;
      }
      case 67: { // C
        const set = this.set === undefined ? parseSyscallSetRecord(rec) : undefined;
        if (set === undefined) return this.unparsed(line); // malformed, or a second one
        this.set = set;
        this.stats.detail.syscallSet = set.x86_64.length + set.i386.length + set.x32.length;
        return;
      }
      case 69: this.stats.detail.ended = 1; return; // E
      default: return this.unparsed(line);
    }
  }

  syscallSet(): SyscallNumberSet | undefined {
    return this.set;
  }

  end(): void {
    for (let x = this.held.pop(); x !== undefined; x = this.held.pop()) this.release(x);
    this.stats.detail.orphanStrings! += this.strings.size;
    this.strings.clear();
    if (!this.began && this.stats.lines > 0) this.stats.detail.noBegin = 1;
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }

  private ts(mono: string): number {
    return Number(mono) + this.offset;
  }

  private stringRecord(rec: string, line: string): void {
    const t1 = rec.indexOf('\t', 2);
    const t2 = t1 < 0 ? -1 : rec.indexOf('\t', t1 + 1);
    const t3 = t2 < 0 ? -1 : rec.indexOf('\t', t2 + 1);
    if (t3 < 0) return this.unparsed(line);
    const key = rec.slice(2, t2);
    const name = rec.slice(t2 + 1, t3);
    const raw = rec.slice(t3 + 1);
    const value = RAW_KEYS.has(name) ? unhexBuf(raw) : utf8(raw);
    // Byte length (one char per byte before UTF-8 decoding) at the engine's cap: the string may have been cut.
    if (!RAW_KEYS.has(name) && raw.length >= this.strCap - 1 && !(this.vectorsByCount && (name === 'argv' || name === 'env'))) {
      (this.cutKeys ??= new Set()).add(`${key}\t${name}`);
    }
    let m = this.strings.get(key);
    if (m === undefined) {
      if (this.strings.size >= 65_536) { this.stats.detail.orphanStrings! += this.strings.size; this.strings.clear(); }
      m = {};
      this.strings.set(key, m);
    }
    (m[name] ??= []).push(value);
  }

  private takeStrings(tid: string, mono: string): Record<string, string[]> | undefined {
    const key = `${tid}\t${mono}`;
    const m = this.strings.get(key);
    if (m !== undefined) this.strings.delete(key);
    if (m !== undefined && this.cutKeys !== undefined) {
      for (const name of Object.keys(m)) {
        if (this.cutKeys.delete(`${key}\t${name}`)) (m[CUT] ??= []).push(name);
      }
      if (this.cutKeys.size > 65_536) this.cutKeys.clear();
    }
    return m;
  }

  private hold(ev: RawEvent, fork?: Held['fork']): void {
    const x: Held = { ev, n: this.arrival++ };
    if (fork !== undefined) x.fork = fork;
    this.held.push(x);
    if (this.held.size > this.window) this.release(this.held.pop()!);
  }

  private release(x: Held): void {
    if (x.ev.ts < this.lastEmittedTs) this.stats.detail.outOfOrder!++;
    else this.lastEmittedTs = x.ev.ts;
    if (x.fork !== undefined) {
      if (x.fork.child !== x.fork.parent) this.firstHint.set(x.fork.child, { parentPid: x.fork.parent, flags: x.fork.flags });
      return;
    }
    const ev = x.ev;
    if (this.firstHint.size > 0) {
      const h = this.firstHint.get(ev.tid);
      if (h !== undefined) {
        this.firstHint.delete(ev.tid);
        if (ev.type !== 'clone' || ev.hints?.childPid !== ev.tid) {
          hint(ev, 'parentPid', h.parentPid);
          hint(ev, 'cloneFlags', h.flags);
        }
      }
    }
    if (ev.type === 'procexit') this.firstHint.delete(ev.tid);
    this.stats.events++;
    this.sink(ev);
  }

  private syscallRecord(rec: string, line: string, orphan: boolean): void {
    const f = rec.split('\t');
    const sc = BY_NAME.get(f[1] ?? '');
    if (sc === undefined || f.length < 6) return this.unparsed(line);
    const pid = Number(f[3]);
    const tid = Number(f[4]);
    const ev: RawEvent = { ts: this.ts(f[2]!), source: 'ebpf', type: sc.name, res: 0, rawres: 0, pid, tid, args: {} };
    const retText = f[5]!;
    if (retText === '?') ev.res = '?';
    else {
      const r = Number(retText);
      ev.rawres = r;
      ev.res = r < 0 && r > -4096 ? (ERRNO_NAME[-r] ?? r) : r;
    }
    // The child's side of clone/fork (older traces printed it): its first event carries the hints instead.
    if (orphan && CLONE_FAMILY.has(sc.name) && ev.res === 0) return;
    const strs = orphan ? undefined : this.takeStrings(f[4]!, f[2]!);
    if (orphan) {
      this.stats.detail.orphanReturns!++;
      hint(ev, 'entryMissed', true);
    } else if (!this.decodeArgs(ev, sc, f, strs)) return this.unparsed(line);
    this.hold(ev);
  }

  private decodeArgs(ev: RawEvent, sc: BtSyscall, f: string[], strs: Record<string, string[]> | undefined): boolean {
    let k = 6;
    const ok = typeof ev.res === 'number' && ev.res >= 0;
    for (const arg of sc.args) {
      const n = btNumbers(arg.kind);
      if (k + n > f.length) return false;
      switch (arg.kind) {
        case 'str': {
          const v = strs?.[arg.name]?.[0];
          if (v !== undefined) {
            ev.args[arg.name] = v;
            if (strs?.[CUT]?.includes(arg.name)) markTruncated(ev, arg.name);
          }
          break;
        }
        case 'data': case 'iov': {
          const v = strs?.data?.[0];
          if (v !== undefined) {
            ev.args.data = v;
            if (v.length >= BT_DATA_CAP) markTruncated(ev, 'data');
          }
          break;
        }
        case 'sockaddr': case 'peer': case 'msghdr': {
          const fam = Number(f[k]);
          const port = Number(f[k + 1]);
          const sa = { family: familyName(fam), ip: undefined as string | undefined, port: undefined as number | undefined, path: undefined as string | undefined };
          if (fam === 2) { sa.ip = ipv4(Number(f[k + 2]) >>> 0); sa.port = ((port & 255) << 8) | (port >> 8); }
          else if (fam === 10) { sa.ip = ipv6(f[k + 3]!, f[k + 4]!); sa.port = ((port & 255) << 8) | (port >> 8); }
          else if (fam === 1) {
            const p = strs?.[`${arg.name}.path`]?.[0];
            const abs = strs?.[`${arg.name}.abstract`]?.[0];
            sa.path = p !== undefined ? p : abs !== undefined ? `@${abs.replace(/\0+$/, '')}` : '';
          }
          if (fam !== 0) {
            ev.args[arg.name] = sa.path !== undefined ? sa.path : sa.ip !== undefined ? `${sa.ip}:${sa.port ?? 0}` : sa.family;
            hint(ev, 'family', sa.family);
            if (sa.ip !== undefined) hint(ev, 'ip', sa.ip);
            if (sa.port !== undefined) hint(ev, 'port', sa.port);
            if (sa.path !== undefined) hint(ev, 'path', sa.path);
          }
          if (arg.kind === 'msghdr') {
            const v = strs?.data?.[0];
            if (v !== undefined) { ev.args.data = v; if (v.length >= BT_DATA_CAP) markTruncated(ev, 'data'); }
          }
          break;
        }
        case 'fdpair': {
          if (ok) { ev.args.fd1 = Number(f[k]); ev.args.fd2 = Number(f[k + 1]); }
          break;
        }
        case 'openhow': {
          ev.args.flags = openFlags(Number(f[k]));
          ev.args.mode = octalMode(Number(f[k + 1]));
          ev.args.resolve = Number(f[k + 2]);
          break;
        }
        case 'ptr': break;
        default: {
          const v = Number(f[k]);
          // socket/socketpair: the protocol's spelling depends on the family (the first number).
          ev.args[arg.name] = arg.kind === 'oflags' && (sc.name === 'dup3' || sc.name === 'pipe2') ? fdFlags(v)
            : arg.kind === 'proto' ? socketProto(Number(f[6]), v) : decodeNumber(arg.kind, v);
        }
      }
      k += n;
    }
    this.finishSyscall(ev, sc, ok, f[k]);
    return true;
  }

  /** Per-call extras the tracker reads (as the strace parser gives them). */
  private finishSyscall(ev: RawEvent, sc: BtSyscall, ok: boolean, extra: string | undefined): void {
    const a = ev.args;
    const res = ev.res as number;
    switch (sc.name) {
      case 'creat': a.flags = 'O_WRONLY|O_CREAT|O_TRUNC'; break;
      case 'socket': {
        const domain = String(a.domain);
        const type = String(a.type);
        if (domain === 'AF_INET' || domain === 'AF_INET6') {
          const proto = String(a.proto);
          const l4 = proto.includes('ICMP') ? 'icmp' : type.startsWith('SOCK_STREAM') ? 'tcp' : type.startsWith('SOCK_DGRAM') ? 'udp' : type.startsWith('SOCK_RAW') ? 'raw' : undefined;
          if (l4 !== undefined) hint(ev, 'l4proto', l4);
        }
        if (ok) ev.fd = { num: res, type: socketFdType(domain), name: '' };
        return;
      }
      case 'memfd_create':
        if (ok) { ev.fd = { num: res, type: 'memfd', name: `memfd:${String(a.name ?? '')}` }; a.fd = res; }
        return;
      case 'accept': case 'accept4':
        hint(ev, 'listenFd', Number(a.listenfd));
        if (ok) { ev.fd = { num: res, type: 'unknown', name: '' }; a.fd = res; }
        return;
      case 'pipe': case 'pipe2':
        if (ok) { hint(ev, 'fd1Name', 'pipe'); hint(ev, 'fd2Name', 'pipe'); }
        return;
      case 'fcntl':
        if (String(a.cmd).startsWith('F_DUPFD')) { hint(ev, 'dup', true); if (ok) ev.fd = { num: res, type: 'unknown', name: '' }; }
        return;
      case 'kill': case 'tgkill': case 'ptrace': case 'process_vm_writev': case 'process_vm_readv': return;
      case 'prctl':
        if (a.option !== 'PR_SET_NAME') delete a.arg2_str; // a number, not a string, for other options
        return;
      default: break;
    }
    if (CLONE_FAMILY.has(sc.name)) {
      const flags = sc.name === 'fork' ? 'SIGCHLD' : sc.name === 'vfork' ? 'CLONE_VM|CLONE_VFORK|SIGCHLD' : String(a.flags ?? '');
      a.flags = flags;
      hint(ev, 'cloneFlags', flags);
      if (ok && res > 0) {
        hint(ev, 'childVpid', res);
        const child = Number(extra);
        if (child > 0) hint(ev, 'childPid', child);
      }
      return;
    }
    if (sc.retFd && ok) {
      if (sc.name.startsWith('open') || sc.name === 'creat') {
        ev.fd = { num: res, type: 'file', name: typeof a.name === 'string' ? a.name : '' };
        a.fd = res;
      } else ev.fd = { num: res, type: 'unknown', name: '' };
    }
  }

  private execRecord(rec: string, line: string): void {
    const f = rec.split('\t');
    if (f.length < 9) return this.unparsed(line);
    this.stats.detail.execs!++;
    const strs = this.takeStrings(f[3]!, f[1]!);
    const isAt = f[4] === '1';
    const ev: RawEvent = { ts: this.ts(f[1]!), source: 'ebpf', type: isAt ? 'execveat' : 'execve', res: 0, rawres: 0, pid: Number(f[2]), tid: Number(f[3]), args: {} };
    const filename = strs?.filename?.[0] ?? '';
    const cut = strs?.[CUT];
    if (cut?.includes('filename')) markTruncated(ev, isAt ? 'pathname' : 'filename');
    if (isAt && cut?.includes('pathname')) markTruncated(ev, 'pathname');
    if (isAt) {
      ev.args.dirfd = Number(f[5]);
      ev.args.pathname = strs?.pathname?.[0] ?? '';
      ev.args.flags = atFlags(Number(f[6]));
      hint(ev, 'filename', filename);
    } else ev.args.filename = filename;
    const argv = strs?.argv ?? [];
    const argc = Number(f[7]);
    ev.proc = { args: argv, exe: argv[0] ?? filename };
    ev.args.args = argv.slice(1).join(' ');
    // Fewer strings than argc (the engine's count or byte cap), or one that filled the string buffer.
    if (argc > argv.length || cut?.includes('argv')) markTruncated(ev, 'argv');
    if (f[8] === '1' || cut?.includes('env')) markTruncated(ev, 'env');
    ev.env = strs?.env ?? [];
    this.hold(ev);
  }

  private forkRecord(rec: string, line: string): void {
    const f = rec.split('\t');
    if (f.length < 6) return this.unparsed(line);
    this.stats.detail.forks!++;
    const ev: RawEvent = { ts: this.ts(f[1]!), source: 'ebpf', type: 'fork-marker', res: 0, rawres: 0, pid: Number(f[2]), tid: Number(f[3]), args: {} };
    this.hold(ev, { child: Number(f[4]), parent: Number(f[3]), flags: cloneFlags(Number(f[5])) });
  }

  private abiRecord(rec: string, line: string): void {
    const f = rec.split('\t');
    if (f.length < 6 || (f[4] !== 'i386' && f[4] !== 'x32')) return this.unparsed(line);
    const nr = Number(f[5]);
    const args: RawEvent['args'] = { abi: f[4], nr };
    if (f[4] === 'i386') { const name = I386_NAME.get(nr); if (name !== undefined) args.syscall = name; }
    this.hold({ ts: this.ts(f[1]!), source: 'ebpf', type: COMPAT_SYSCALL, res: 0, rawres: 0, pid: Number(f[2]), tid: Number(f[3]), args });
  }

  private exitRecord(rec: string, line: string): void {
    const f = rec.split('\t');
    if (f.length < 5) return this.unparsed(line);
    this.stats.detail.exits!++;
    const status = Number(f[4]);
    const ev: RawEvent = { ts: this.ts(f[1]!), source: 'ebpf', type: 'procexit', res: 0, rawres: 0, pid: Number(f[2]), tid: Number(f[3]), args: { status } };
    const sig = status & 0x7f;
    if (sig === 0) ev.args.ret = (status >> 8) & 0xff;
    else { ev.args.sig = signalName(sig); ev.args.core = status & 0x80 ? 1 : 0; }
    this.hold(ev);
  }
}

/** Creates a bpftrace parser (factory shape for `parseStream` / `parseText`). */
export function createBpftraceParser(sink: RawEventSink, options?: BpftraceParserOptions): BpftraceParser {
  return new BpftraceParser(sink, options);
}
