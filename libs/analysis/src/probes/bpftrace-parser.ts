/**
 * Parser of the `ebpf` probe's raw trace: bpftrace's JSON output (`-f json`) of the program built
 * by libs/sandbox/src/probes/ebpf.probe.ts from the table in `bpftrace-layout.ts`.
 *
 * Every line is a bpftrace object; `printf` objects carry one record each (tab-separated, the
 * text JSON-escaped by bpftrace, so a string holding a newline or tab cannot forge a record):
 *
 * - `B  1  <mono ns>  <epoch offset ns>`       BEGIN: probes attached; wall clock = mono + offset
 * - `S  <tid>  <ts>  <key>  <value>`           one string of the record of (tid, ts) that follows
 * - `Y  <syscall>  <ts>  <pid>  <tid>  <ret>  <numbers…>`   a completed syscall (numbers per the table)
 * - `Q  <syscall>  <ts>  <pid>  <tid>  <ret>`  a syscall whose entry was not seen (in flight at attach)
 * - `X  <ts>  <pid>  <old tid>  <execveat?>  <dirfd>  <flags>  <argc>  <env cut?>`  successful exec
 * - `F  <ts>  <pid>  <tid>  <child tid>  <clone flags>`   sched_process_fork (before the child runs)
 * - `Z  <ts>  <pid>  <tid>  <exit code>`       sched_process_exit (wait status)
 * - `E  <ts>`                                  END: bpftrace stopped cleanly
 *
 * `lost_events` objects (perf buffer overflow) are counted in `detail.perfLost`; the probe reports
 * them as the run's lost events (ProbeStats.lost), so they are not added to `stats.lost` here.
 * bpftrace reads one perf buffer per CPU, so records of different CPUs can come out of order:
 * events are re-ordered by timestamp through a bounded window before they are emitted.
 */
import type { EventFd, RawEvent } from '../events/event.js';
import { BT_DATA_CAP, BT_MAX_ARGS, BT_STRLEN, BT_SYSCALLS, btNumbers, type BtSyscall } from './bpftrace-layout.js';
import { ERRNO, SIGNALS } from './errno.js';
import { emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';
import { BPF_CMDS, CLONE_FLAGS, PTRACE } from './linux-constants.js';

export interface BpftraceParserOptions {
  /** Events held back to put records of different CPUs in timestamp order. Default 4096. */
  reorderWindow?: number;
}

const PRINTF = '{"type": "printf", "data": "';
const LOST = '{"type": "lost_events"';
const BY_NAME = new Map<string, BtSyscall>(BT_SYSCALLS.map((s) => [s.name, s]));
const ERRNO_NAME: Record<number, string> = Object.fromEntries(Object.entries(ERRNO).map(([k, v]) => [v, k]));
const SIGNAL_NAME: Record<number, string> = Object.fromEntries(Object.entries(SIGNALS).map(([k, v]) => [v, k]));
const CLONE_FAMILY = new Set(['clone', 'clone3', 'fork', 'vfork']);
const RAW_KEYS = new Set(['data', 'addr.abstract', 'tuple.abstract']);

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

function flagNames(v: number, table: readonly (readonly [number, string])[]): string[] {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of table) if (bit !== 0 && (rest & bit) === bit) { out.push(name); rest &= ~bit; }
  if (rest !== 0) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out;
}

const O_FLAGS: readonly (readonly [number, string])[] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'], [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'],
  [0o20200000, 'O_TMPFILE'], [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];
/** open(2) flags the way strace spells them: `O_WRONLY|O_CREAT|O_TRUNC`. */
export function openFlags(v: number): string {
  const acc = v & 3;
  const names = [acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_ACCMODE', ...flagNames(v & ~3, O_FLAGS)];
  return names.join('|');
}
/** Only the flag bits (dup3, pipe2): `O_CLOEXEC`, `0` when none. */
function fdFlags(v: number): string {
  return v === 0 ? '0' : flagNames(v, O_FLAGS).join('|');
}
/** Octal mode as strace prints it: `0644`, `04755`, `0100755`. */
export function octalMode(v: number): string {
  return `0${v.toString(8).padStart(3, '0')}`;
}
/** clone flags as strace prints them: `CLONE_VM|CLONE_VFORK|SIGCHLD`. */
export function cloneFlags(v: number): string {
  const sig = v & 0xff;
  const hi = Math.floor(v / 0x100000000);
  const names = flagNames((v - sig - hi * 0x100000000) >>> 0, CLONE_FLAGS);
  if (hi !== 0) names.push(`0x${hi.toString(16)}00000000`);
  if (sig !== 0) names.push(SIGNAL_NAME[sig] ?? String(sig));
  return names.length > 0 ? names.join('|') : '0';
}
const NS_FLAGS = CLONE_FLAGS.filter(([, n]) => n.startsWith('CLONE_NEW') || n === 'CLONE_FS' || n === 'CLONE_FILES' || n === 'CLONE_SYSVSEM');
function nsFlags(v: number): string {
  return v === 0 ? '0' : flagNames(v, NS_FLAGS).join('|');
}
const DOMAINS: Record<number, string> = { 0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK', 44: 'AF_XDP' };
const SOCK_TYPES: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET', 10: 'SOCK_PACKET' };
export function sockType(v: number): string {
  const base = v & 0xf;
  const names: string[] = base !== 0 ? [SOCK_TYPES[base] ?? String(base)] : [];
  if (v & 0o4000) names.push('SOCK_NONBLOCK');
  if (v & 0o2000000) names.push('SOCK_CLOEXEC');
  const rest = v & ~(0xf | 0o4000 | 0o2000000);
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length > 0 ? names.join('|') : '0';
}
const PROTOS: Record<number, string> = { 0: 'IPPROTO_IP', 1: 'IPPROTO_ICMP', 6: 'IPPROTO_TCP', 17: 'IPPROTO_UDP', 41: 'IPPROTO_IPV6', 58: 'IPPROTO_ICMPV6', 132: 'IPPROTO_SCTP', 255: 'IPPROTO_RAW' };
const FCNTL: Record<number, string> = { 0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW', 1030: 'F_DUPFD_CLOEXEC', 1033: 'F_ADD_SEALS', 1034: 'F_GET_SEALS' };
const MOUNT_FLAGS: readonly (readonly [number, string])[] = [
  [1, 'MS_RDONLY'], [2, 'MS_NOSUID'], [4, 'MS_NODEV'], [8, 'MS_NOEXEC'], [16, 'MS_SYNCHRONOUS'], [32, 'MS_REMOUNT'], [64, 'MS_MANDLOCK'],
  [128, 'MS_DIRSYNC'], [1024, 'MS_NOATIME'], [2048, 'MS_NODIRATIME'], [4096, 'MS_BIND'], [8192, 'MS_MOVE'], [16384, 'MS_REC'],
  [32768, 'MS_SILENT'], [1 << 16, 'MS_POSIXACL'], [1 << 17, 'MS_UNBINDABLE'], [1 << 18, 'MS_PRIVATE'], [1 << 19, 'MS_SLAVE'],
  [1 << 20, 'MS_SHARED'], [1 << 21, 'MS_RELATIME'], [1 << 24, 'MS_STRICTATIME'], [1 << 25, 'MS_LAZYTIME'],
];
const MFD: readonly (readonly [number, string])[] = [[1, 'MFD_CLOEXEC'], [2, 'MFD_ALLOW_SEALING'], [4, 'MFD_HUGETLB'], [8, 'MFD_NOEXEC_SEAL'], [16, 'MFD_EXEC']];
const AT: readonly (readonly [number, string])[] = [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH']];
const RENAME: readonly (readonly [number, string])[] = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];

function flagsOr0(v: number, table: readonly (readonly [number, string])[]): string {
  return v === 0 ? '0' : flagNames(v, table).join('|');
}

function decodeNumber(kind: string, v: number): string | number {
  switch (kind) {
    case 'oflags': return openFlags(v);
    case 'mode': return octalMode(v);
    case 'clone': case 'clone3': return cloneFlags(v);
    case 'domain': return DOMAINS[v] ?? String(v);
    case 'socktype': return sockType(v);
    case 'proto': return PROTOS[v] ?? String(v);
    case 'ptrace': return PTRACE[v] ?? String(v);
    case 'fcntl': return FCNTL[v] ?? String(v);
    case 'mount': return flagsOr0(v, MOUNT_FLAGS);
    case 'mfd': return flagsOr0(v, MFD);
    case 'at': return flagsOr0(v, AT);
    case 'rename': return flagsOr0(v, RENAME);
    case 'sig': return SIGNAL_NAME[v] ?? (v === 0 ? '0' : String(v));
    case 'ns': return nsFlags(v);
    case 'bpf': return BPF_CMDS[v] ?? String(v);
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
  private arrival = 0;
  private lastEmittedTs = -Infinity;
  /** Strings of records not yet seen, by `tid:ts`. */
  private readonly strings = new Map<string, Record<string, string[]>>();
  private readonly firstHint = new Map<number, { parentPid: number; flags: string }>();
  private readonly held = new Reorder();
  private readonly window: number;

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
      case 66: { // B
        const f = rec.split('\t');
        this.offset = Number(f[3] ?? 0);
        this.began = true;
        return;
      }
      case 69: this.stats.detail.ended = 1; return; // E
      default: return this.unparsed(line);
    }
  }

  end(): void {
    for (let x = this.held.pop(); x !== undefined; x = this.held.pop()) this.release(x);
    this.stats.detail.orphanStrings! += this.strings.size;
    this.strings.clear();
    if (!this.began && this.stats.lines > 0) this.stats.detail.noBegin = 1;
  }

  private unparsed(line: string): void {
    this.stats.unparsed++;
    if (this.stats.unparsedSamples.length < 10) this.stats.unparsedSamples.push(line.length > 200 ? line.slice(0, 200) : line);
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
            if (v.length >= BT_STRLEN - 1) hint(ev, `${arg.name}Truncated`, true);
          }
          break;
        }
        case 'data': case 'iov': {
          const v = strs?.data?.[0];
          if (v !== undefined) {
            ev.args.data = v;
            if (v.length >= BT_DATA_CAP) hint(ev, 'dataTruncated', true);
          }
          break;
        }
        case 'sockaddr': case 'peer': case 'msghdr': {
          const fam = Number(f[k]);
          const port = Number(f[k + 1]);
          const sa = { family: DOMAINS[fam] ?? String(fam), ip: undefined as string | undefined, port: undefined as number | undefined, path: undefined as string | undefined };
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
            if (v !== undefined) { ev.args.data = v; if (v.length >= BT_DATA_CAP) hint(ev, 'dataTruncated', true); }
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
          ev.args[arg.name] = arg.kind === 'oflags' && (sc.name === 'dup3' || sc.name === 'pipe2') ? fdFlags(v) : decodeNumber(arg.kind, v);
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
        if (domain === 'AF_UNIX' && a.proto === 'IPPROTO_IP') a.proto = '0';
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
    if (isAt) {
      ev.args.dirfd = Number(f[5]);
      ev.args.pathname = strs?.pathname?.[0] ?? '';
      ev.args.flags = flagsOr0(Number(f[6]), AT);
      hint(ev, 'filename', filename);
    } else ev.args.filename = filename;
    const argv = strs?.argv ?? [];
    const argc = Number(f[7]);
    ev.proc = { args: argv, exe: argv[0] ?? filename };
    ev.args.args = argv.slice(1).join(' ');
    if (argc > BT_MAX_ARGS || argv.some((s) => s.length >= BT_STRLEN - 1)) hint(ev, 'argsTruncated', true);
    if (f[8] === '1') hint(ev, 'envTruncated', true);
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

  private exitRecord(rec: string, line: string): void {
    const f = rec.split('\t');
    if (f.length < 5) return this.unparsed(line);
    this.stats.detail.exits!++;
    const status = Number(f[4]);
    const ev: RawEvent = { ts: this.ts(f[1]!), source: 'ebpf', type: 'procexit', res: 0, rawres: 0, pid: Number(f[2]), tid: Number(f[3]), args: { status } };
    const sig = status & 0x7f;
    if (sig === 0) ev.args.ret = (status >> 8) & 0xff;
    else { ev.args.sig = SIGNAL_NAME[sig] ?? `SIG${sig}`; ev.args.core = status & 0x80 ? 1 : 0; }
    this.hold(ev);
  }
}

/** Creates a bpftrace parser (factory shape for `parseStream` / `parseText`). */
export function createBpftraceParser(sink: RawEventSink, options?: BpftraceParserOptions): BpftraceParser {
  return new BpftraceParser(sink, options);
}
