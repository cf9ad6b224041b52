/**
 * Streaming parser of gVisor's own syscall log (runsc `--strace --debug`, text format; see
 * probes/README.md) into RawEvents, so the state tracker and the rules see the same events as with
 * strace.
 *
 * Input lines are the sentry's glog lines (`I1127 07:55:10.645421   29188 strace.go:567] …`), as the
 * `gvisor` probe copies them from the sandbox's boot log, optionally preceded by its header
 * `# quarantine gvisor trace v1 container=<id> year=<yyyy> utcOffsetMinutes=<n>` (glog timestamps have
 * neither year nor zone). What is read:
 * - `strace.go`: `[tgid:tid] comm E name(args)` on entry and `[tgid:tid] comm X name(args) = ret (0xret)
 *   [errno=N (text)] (duration)` on exit. One event per call, emitted at its exit line; entry and exit
 *   are joined per tid (calls interleave across tasks). Input-only buffers are printed on entry only
 *   (`write(0x1 host:[2], ..., 0x5)` on exit), outputs on exit only: the exit's `...` takes the entry's text.
 * - `task_exit.go`: `Transitioning from exit state TaskExitNone to TaskExitInitiated` → `procexit` (every
 *   task's exit, also when killed; status from its exit/exit_group or the terminating signal).
 * - `task_signals.go`: `Signal N: delivering to handler` / `Signal N: terminating thread group` →
 *   `signaldeliver` (and the latter gives the exit signal).
 * - `*** Dropped N log messages ***` (gVisor's log writer could not write N messages) → `lost`.
 * - `main.go] Exiting with status` → the sandbox finished (`detail.sandboxExited`).
 * Anything else in glog format is ignored (counted in `detail.ignored`); other lines are unparsed.
 *
 * Pids are the sandbox's own (its root pid namespace): consistent across clone returns, execve and exit,
 * which is all the tracker needs; `childPid` and `childVpid` are both the clone's return value.
 * With Docker's `--init` the sandbox's pid 1 is docker-init, started by runsc itself: its events are
 * dropped, and so are its child's before that child's first execve (the exec of the image's entrypoint),
 * so the first event is the entrypoint's execve, as with strace's held wrapper (`initPid`, default 1).
 *
 * Argument formats (gVisor pkg/sentry/strace): fds `0x3 /etc/shadow`, `AT_FDCWD /cwd`, `0x1 host:[2]`,
 * `0x3 socket:[1]`, `0x14 (bad FD)`; paths UNQUOTED after their address, `0x47a009 /etc/shadow` (a path may
 * contain `, `: the split is corrected with each syscall's argument count); strings and vectors Go-quoted
 * (`0x… "a\x00b"...`, `0x… ["sh", "-i"]`); sockaddrs `{Family: AF_INET, Addr: 10.0.0.1, Port: 4444}` and
 * `{Family: AF_UNIX, Addr: "\x00abstract"}`; many flags as hex (mapped to names where rules or the
 * tracker compare them: fcntl, prctl, execveat, dup3, pipe2, memfd_create, unlinkat, bpf, ptrace).
 */
import { type EventFd, markTruncated, type RawEvent } from '../events/event.js';
import { ERRNO, SIGNALS } from './errno.js';
import { AT_FDCWD, fdFromAnnotation } from './strace-syntax.js';
import {
  type ArgKind, type ArgSig, inetL4proto, type ReturnSig, signatureOf, socketFdType, type SyscallSignature,
} from './syscall-signatures.js';
import { ChildAttribution } from './child-attribution.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';

export interface GvisorParserOptions {
  /**
   * Sandbox pid of the container's init (docker-init with Docker's `--init`): its events are dropped,
   * and other tasks' events before the first execve (the exec of the image's entrypoint) too. 0 keeps
   * everything. Default 1.
   */
  initPid?: number;
  /** Cap, in bytes, of write buffers copied into `args.data`. Default 256. */
  dataCap?: number;
  /** Cap of execve argv/env strings. Default 4096. */
  stringCap?: number;
  /** Year of the glog timestamps when the trace has no header. Default: the current year. */
  year?: number;
  /** Minutes east of UTC of the glog timestamps when the trace has no header. Default 0. */
  utcOffsetMinutes?: number;
}

/** The header line the `gvisor` probe writes first in a trace. */
export const GVISOR_TRACE_HEADER = '# quarantine gvisor trace v1';

export function gvisorTraceHeader(containerId: string, at: Date): string {
  return `${GVISOR_TRACE_HEADER} container=${containerId} year=${at.getFullYear()} utcOffsetMinutes=${-at.getTimezoneOffset()}`;
}

interface Pending {
  name: string;
  args: string;
  ts: number;
}

const ERRNO_NAME: Record<number, string> = {};
for (const [name, n] of Object.entries(ERRNO)) if (ERRNO_NAME[n] === undefined) ERRNO_NAME[n] = name;
const SIGNAL_NAME: Record<number, string> = {};
for (const [name, n] of Object.entries(SIGNALS)) SIGNAL_NAME[n] = name;

const CLONE_FAMILY = new Set(['clone', 'clone3', 'fork', 'vfork']);
const EXEC_FAMILY = new Set(['execve', 'execveat']);
const DOTS = '...';

/** Syscalls that only pass time (sleep until a timer or a signal). */
const SLEEP_SYSCALLS = new Set(['nanosleep', 'clock_nanosleep', 'pause', 'rt_sigsuspend', 'rt_sigtimedwait']);

export class GvisorParser implements TraceParser {
  readonly source = 'gvisor' as const;
  readonly stats: ParserStats = emptyStats();
  readonly dataCap: number;
  readonly stringCap: number;
  private readonly initPid: number;
  private year: number;
  private offsetMs: number;
  private lastMonth = 0;
  private dayKey = -1;
  private dayBaseMs = 0;
  private entrypointSeen: boolean;
  private readonly pending = new Map<number, Pending>();
  /** tid → syscall it returned from interrupted (ERESTART*) and has not called anything since: killed in it, if it exits next. */
  private readonly interrupted = new Map<number, string>();
  /** Last comm seen per tid (disambiguates a comm that itself contains ` X name(`). */
  private readonly comm = new Map<number, string>();
  /** Parents of children seen before their parent's clone/fork/vfork returned. */
  private readonly children = new ChildAttribution();
  /** Exit status by tid (exit) and by tgid (exit_group), and the signal that terminated a thread group. */
  private readonly exitCode = new Map<number, number>();
  private readonly groupExitCode = new Map<number, number>();
  private readonly killedBy = new Map<number, number>();
  private readonly eargs: string[] = [];
  private readonly xargs: string[] = [];

  constructor(private readonly sink: RawEventSink, options: GvisorParserOptions = {}) {
    this.initPid = options.initPid ?? 1;
    this.entrypointSeen = this.initPid === 0;
    this.dataCap = options.dataCap ?? 256;
    this.stringCap = options.stringCap ?? 4096;
    this.year = options.year ?? new Date().getFullYear();
    this.offsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
    const d = this.stats.detail;
    d.ignored = 0; d.initEvents = 0; d.preEntrypoint = 0; d.orphanExits = 0; d.unmatchedEnters = 0;
    d.unfinishedAtEnd = 0; d.blockedWhenEnded = 0; d.asleepWhenEnded = 0; d.joinedLines = 0; d.signals = 0; d.exits = 0; d.droppedMessages = 0; d.sandboxExited = 0; d.header = 0;
  }

  write(line: string): void {
    this.stats.lines++;
    if (this.broken !== undefined) {
      // gVisor prints paths and comms unescaped: a newline in one splits the syscall line. A following line
      // that is not a glog line is its continuation.
      const prev = this.broken;
      this.broken = undefined;
      if (!isGlogLine(line) && prev.length + line.length < 65536 && this.joins < 8) {
        this.joins++;
        this.stats.detail.joinedLines!++;
        return this.parseLine(`${prev}\n${line}`);
      }
      this.unparsed(prev);
    }
    this.joins = 0;
    this.parseLine(line);
  }

  private broken: string | undefined;
  private joins = 0;

  private parseLine(line: string): void {
    const n = line.length;
    if (n === 0) return;
    const c0 = line.charCodeAt(0);
    if (c0 === 35) return this.header(line); // '#'
    if (line.indexOf('*** Dropped ') >= 0) {
      const m = line.indexOf('*** Dropped ') + 12;
      const k = parseInt(line.slice(m), 10);
      if (Number.isFinite(k) && k > 0) { this.stats.lost += k; this.stats.detail.droppedMessages! += k; return; }
    }
    // glog: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
    if (!(c0 === 73 || c0 === 87 || c0 === 69 || c0 === 68 || c0 === 70) || n < 22 || line.charCodeAt(5) !== 32
      || line.charCodeAt(8) !== 58 || line.charCodeAt(11) !== 58 || line.charCodeAt(14) !== 46) return this.unparsed(line);
    const ts = this.timestamp(line);
    if (Number.isNaN(ts)) return this.unparsed(line);
    const close = line.indexOf('] ', 15);
    if (close < 0) return this.unparsed(line);
    let fs = close;
    while (fs > 15 && line.charCodeAt(fs - 1) !== 32) fs--;
    const colon = line.indexOf(':', fs);
    const file = colon > fs && colon < close ? line.slice(fs, colon) : line.slice(fs, close);
    const msg = close + 2;
    if (line.charCodeAt(msg) !== 91) { // not a task line
      if (file === 'main.go' && line.startsWith('Exiting with status', msg)) this.stats.detail.sandboxExited = 1;
      else this.stats.detail.ignored!++;
      return;
    }
    // [tgid:tid]
    let i = msg + 1;
    while (line.charCodeAt(i) === 32) i++;
    let tgid = 0;
    let c = 0;
    let digits = 0;
    while (i < n && (c = line.charCodeAt(i)) >= 48 && c <= 57) { tgid = tgid * 10 + (c - 48); i++; digits++; }
    if (digits === 0 || c !== 58) return this.unparsed(line);
    i++;
    while (line.charCodeAt(i) === 32) i++;
    let tid = 0;
    digits = 0;
    while (i < n && (c = line.charCodeAt(i)) >= 48 && c <= 57) { tid = tid * 10 + (c - 48); i++; digits++; }
    if (digits === 0 || c !== 93 || line.charCodeAt(i + 1) !== 32) return this.unparsed(line);
    const rest = i + 2;
    if (file === 'strace.go') return this.syscall(tgid, tid, ts, line, rest);
    if (file === 'task_exit.go') {
      if (line.startsWith('Transitioning from exit state TaskExitNone to TaskExitInitiated', rest)) return this.exit(tgid, tid, ts);
      this.stats.detail.ignored!++;
      return;
    }
    if (file === 'task_signals.go' && line.startsWith('Signal ', rest)) {
      const sig = parseInt(line.slice(rest + 7), 10);
      const terminating = line.endsWith(': terminating thread group');
      if (Number.isFinite(sig) && (terminating || line.endsWith(': delivering to handler'))) return this.signal(tgid, tid, ts, sig, terminating);
    }
    this.stats.detail.ignored!++;
  }

  end(): void {
    if (this.broken !== undefined) { this.unparsed(this.broken); this.broken = undefined; }
    for (const [tid, p] of this.pending) {
      this.stats.detail.unfinishedAtEnd!++;
      this.endedBlocked(p.name);
      this.complete(this.tgidOf(tid), tid, p.ts, p.name, p.args, undefined, '?', 0, true);
    }
    this.pending.clear();
    this.children.clearCloning();
  }

  // -------------------------------------------------------------------------------------------

  private header(line: string): void {
    if (!line.startsWith(GVISOR_TRACE_HEADER)) { this.stats.detail.ignored!++; return; }
    this.stats.detail.header = 1;
    const y = /\byear=(\d{4})\b/.exec(line);
    if (y) this.year = Number(y[1]);
    const o = /\butcOffsetMinutes=(-?\d+)\b/.exec(line);
    if (o) this.offsetMs = Number(o[1]) * 60_000;
    this.dayKey = -1;
  }

  private timestamp(line: string): number {
    const d2 = (k: number) => (line.charCodeAt(k) - 48) * 10 + (line.charCodeAt(k + 1) - 48);
    const month = d2(1);
    const day = d2(3);
    if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
    if (this.lastMonth === 12 && month === 1) { this.year++; this.dayKey = -1; } // New Year during the run
    this.lastMonth = month;
    const key = month * 100 + day;
    if (key !== this.dayKey) {
      this.dayKey = key;
      this.dayBaseMs = Date.UTC(this.year, month - 1, day) - this.offsetMs;
    }
    const h = d2(6);
    const m = d2(9);
    const s = d2(12);
    let frac = 0;
    let fd = 0;
    let k = 15;
    let c: number;
    while ((c = line.charCodeAt(k)) >= 48 && c <= 57) { if (fd < 9) { frac = frac * 10 + (c - 48); fd++; } k++; }
    for (let z = fd; z < 9; z++) frac *= 10;
    if (Number.isNaN(h + m + s)) return NaN;
    return (this.dayBaseMs + ((h * 60 + m) * 60 + s) * 1000) * 1e6 + frac;
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }

  private tgids = new Map<number, number>();
  private tgidOf(tid: number): number { return this.tgids.get(tid) ?? tid; }

  /** `comm E name(args)` / `comm X name(args) = …` starting at `i`. */
  private syscall(tgid: number, tid: number, ts: number, line: string, i: number): void {
    // The comm (≤ 15 bytes) may contain spaces or even ` X name(`: prefer the tid's known comm, else the
    // last marker that can still follow a 15-character comm.
    const known = this.comm.get(tid);
    let at = -1;
    if (known !== undefined && line.startsWith(known, i) && isMarker(line, i + known.length)) at = i + known.length;
    else {
      const limit = Math.min(line.length, i + 16);
      for (let k = i; k <= limit; k++) if (isMarker(line, k)) at = k;
    }
    if (at < 0) return this.unparsed(line);
    const comm = line.slice(i, at);
    if (known !== comm) this.comm.set(tid, comm);
    if (!this.children.isLive(tid)) this.children.noteNew(tid);
    this.tgids.set(tid, tgid);
    const kind = line.charCodeAt(at + 1);
    const paren = line.indexOf('(', at + 3);
    const name = line.slice(at + 3, paren);
    if (kind === 69) { // E
      if (line.charCodeAt(line.length - 1) !== 41) { this.broken = line; return; }
      if (this.pending.has(tid)) { this.stats.detail.unmatchedEnters!++; this.stats.lost++; }
      this.pending.set(tid, { name, args: line.slice(paren + 1, line.length - 1), ts });
      this.interrupted.delete(tid);
      if (CLONE_FAMILY.has(name)) this.children.cloneStarted(tid, name === 'vfork' ? 'CLONE_VM|CLONE_VFORK|SIGCHLD' : name === 'fork' ? 'SIGCHLD' : cloneFlags(firstArg(line, paren + 1)));
      return;
    }
    // X: `…) = ret (0xret)[ errno=N (text)] (duration)`
    const eq = line.lastIndexOf(' = ');
    if (eq < paren || line.charCodeAt(eq - 1) !== 41 || line.charCodeAt(line.length - 1) !== 41) { this.broken = line; return; }
    const xtext = line.slice(paren + 1, eq - 1);
    const tail = eq + 3;
    let res: number | string = parseInt(line.slice(tail), 10);
    let rawres = res;
    if (Number.isNaN(res)) return this.unparsed(line);
    const en = line.indexOf(' errno=', tail);
    if (en > 0) {
      const errno = parseInt(line.slice(en + 7), 10);
      rawres = -errno;
      res = ERRNO_NAME[errno] ?? `E${errno}`;
    }
    if (rawres <= -512 && rawres >= -516) this.interrupted.set(tid, name);
    else this.interrupted.delete(tid);
    let p = this.pending.get(tid);
    if (p === undefined || p.name !== name) {
      this.stats.detail.orphanExits!++;
      this.stats.lost++;
      p = undefined;
    } else this.pending.delete(tid);
    if (CLONE_FAMILY.has(name)) this.children.cloneEnded(tid);
    this.complete(tgid, tid, ts, name, p?.args, xtext, res, rawres, false);
  }

  /** A thread ended (killed, or the trace ended) inside a syscall: what dormancy is judged on (docs/run-integrity.md). */
  private endedBlocked(name: string): void {
    this.stats.detail.blockedWhenEnded!++;
    if (SLEEP_SYSCALLS.has(name)) this.stats.detail.asleepWhenEnded!++;
  }

  private signal(tgid: number, tid: number, ts: number, sig: number, terminating: boolean): void {
    if (terminating) this.killedBy.set(tgid, sig);
    this.stats.detail.signals!++;
    const ev: RawEvent = { ts, source: 'gvisor', type: 'signaldeliver', res: 0, rawres: 0, pid: tgid, tid, args: { sig: SIGNAL_NAME[sig] ?? String(sig), dpid: tid } };
    this.emit(ev);
  }

  private exit(tgid: number, tid: number, ts: number): void {
    const p = this.pending.get(tid);
    if (p !== undefined) {
      // The call never returned (killed while blocked): emit it now, like strace's `= ?`.
      this.pending.delete(tid);
      this.endedBlocked(p.name);
      this.complete(tgid, tid, p.ts, p.name, p.args, undefined, '?', 0, true);
    } else {
      // gVisor logs the blocked call's return (errno 512–516, interrupted by the killing signal) first.
      const name = this.interrupted.get(tid);
      if (name !== undefined) this.endedBlocked(name);
    }
    this.interrupted.delete(tid);
    this.stats.detail.exits!++;
    const ev: RawEvent = { ts, source: 'gvisor', type: 'procexit', res: 0, rawres: 0, pid: tgid, tid, args: {} };
    const sig = this.killedBy.get(tgid);
    const code = this.exitCode.get(tid) ?? this.groupExitCode.get(tgid);
    if (sig !== undefined && code === undefined) {
      ev.args.status = sig;
      ev.args.sig = SIGNAL_NAME[sig] ?? String(sig);
      ev.args.core = 0;
    } else {
      ev.args.status = (code ?? 0) << 8;
      ev.args.ret = code ?? 0;
    }
    this.children.forget(tid);
    this.comm.delete(tid);
    this.exitCode.delete(tid);
    this.tgids.delete(tid);
    // Group status stays for the group's other threads (their exits may follow the leader's); bounded.
    if (this.groupExitCode.size > 65_536) this.groupExitCode.clear();
    if (this.killedBy.size > 65_536) this.killedBy.clear();
    this.emit(ev);
  }

  private emit(ev: RawEvent): void {
    if (this.initPid !== 0) {
      if (ev.pid === this.initPid) { this.stats.detail.initEvents!++; return; }
      if (!this.entrypointSeen) {
        if (!EXEC_FAMILY.has(ev.type)) { this.stats.detail.preEntrypoint!++; return; }
        this.entrypointSeen = true;
        this.children.dropHint(ev.tid); // its parent (the init) is not part of the trace
      }
    }
    this.children.annotate(ev);
    this.stats.events++;
    this.sink(ev);
  }

  /** Builds the event from the entry's and the exit's argument texts (either may be missing). */
  private complete(tgid: number, tid: number, ts: number, name: string, etext: string | undefined, xtext: string | undefined,
    res: number | string, rawres: number, interrupted: boolean): void {
    const count = ARG_COUNT[name];
    const a = this.xargs;
    a.length = 0;
    if (xtext !== undefined) splitGvisorArgs(xtext, a, count);
    if (etext !== undefined) {
      const e = this.eargs;
      e.length = 0;
      splitGvisorArgs(etext, e, count);
      if (xtext === undefined) { a.length = 0; for (const x of e) a.push(x); }
      else for (let k = 0; k < a.length; k++) if (a[k] === DOTS && e[k] !== undefined) a[k] = e[k]!;
    }
    const ev: RawEvent = { ts, source: 'gvisor', type: name, res, rawres, pid: tgid, tid, args: {} };
    if (interrupted) (ev.hints ??= {}).interrupted = true;
    const sig = signatureOf(name, 'gvisor');
    if (sig !== undefined) decodeCall(ev, sig, a, this);
    else if (a.length > 0 && looksLikeNamedFd(a[0]!)) fdArg(ev, a[0], 'fd');
    if (name === 'exit_group' || name === 'exit') {
      const st = ev.args.status;
      if (typeof st === 'number') (name === 'exit' ? this.exitCode.set(tid, st & 0xff) : this.groupExitCode.set(tgid, st & 0xff));
    }
    this.emit(ev);
  }
}

/** Creates a gVisor log parser (factory shape for `parseStream` / `parseText`). */
export function createGvisorParser(sink: RawEventSink, options?: GvisorParserOptions): GvisorParser {
  return new GvisorParser(sink, options);
}

// ---------------------------------------------------------------------------------------------
// Lexing

function isGlogLine(line: string): boolean {
  const c0 = line.charCodeAt(0);
  return (c0 === 73 || c0 === 87 || c0 === 69 || c0 === 68 || c0 === 70) && line.length >= 22 && line.charCodeAt(5) === 32
    && line.charCodeAt(8) === 58 && line.charCodeAt(11) === 58 && line.charCodeAt(14) === 46;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

/** ` E name(` or ` X name(` at `k`. */
function isMarker(line: string, k: number): boolean {
  if (line.charCodeAt(k) !== 32 || line.charCodeAt(k + 2) !== 32) return false;
  const m = line.charCodeAt(k + 1);
  if (m !== 69 && m !== 88) return false;
  let j = k + 3;
  const s = j;
  while (j < line.length && isNameChar(line.charCodeAt(j))) j++;
  return j > s && line.charCodeAt(j) === 40;
}

function firstArg(line: string, from: number): string {
  const e = line.indexOf(', ', from);
  return line.slice(from, e < 0 ? line.length - 1 : e);
}

function isHexStart(s: string, i: number): number {
  // Returns the index after `0x<hex>` at i, or -1.
  if (s.charCodeAt(i) !== 48 || s.charCodeAt(i + 1) !== 120) return -1;
  let j = i + 2;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) j++;
    else break;
  }
  return j > i + 2 ? j : -1;
}

/**
 * Whether the argument starting at `i` is an unquoted path or fd name (`0x… /path`, `0x… rel`,
 * `AT_FDCWD /`), which is taken raw up to the next `, ` (no quote or bracket matching inside).
 */
function rawStart(s: string, i: number): boolean {
  let j: number;
  if (s.startsWith('AT_FDCWD ', i)) return true;
  if ((j = isHexStart(s, i)) < 0 || s.charCodeAt(j) !== 32) return false;
  const c = s.charCodeAt(j + 1);
  return c !== 34 && c !== 91 && c !== 123;
}

/**
 * Splits gVisor's `, `-joined arguments, matching Go-quoted strings, `[...]` and `{...}`; unquoted paths
 * and fd names are taken raw. When a syscall's argument count is known and the text split into more
 * pieces (a path containing `, `), the extra pieces are joined back into the raw argument they came from.
 */
export function splitGvisorArgs(s: string, out: string[], expected?: number): void {
  const n = s.length;
  if (n === 0) return;
  const raw: boolean[] = [];
  let i = 0;
  let start = 0;
  let depth = 0;
  let isRaw = rawStart(s, 0);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 44 && s.charCodeAt(i + 1) === 32 && (depth === 0 || isRaw)) {
      out.push(s.slice(start, i));
      raw.push(isRaw);
      i += 2;
      start = i;
      depth = 0;
      isRaw = rawStart(s, i);
      continue;
    }
    if (!isRaw) {
      if (c === 34) { // Go string
        i++;
        while (i < n) { const d = s.charCodeAt(i); if (d === 92) i += 2; else { i++; if (d === 34) break; } }
        continue;
      }
      if (c === 91 || c === 123 || c === 40) depth++;
      else if ((c === 93 || c === 125 || c === 41) && depth > 0) depth--;
    }
    i++;
  }
  out.push(s.slice(start));
  raw.push(isRaw);
  if (expected === undefined || out.length <= expected) return;
  // Join surplus pieces back into the raw argument before them: a piece that does not itself start like
  // a path or fd (`0x… x`, `AT_FDCWD …`) is the rest of a path that contained `, `.
  let surplus = out.length - expected;
  for (let k = 0; k < out.length - 1 && surplus > 0; k++) {
    if (!raw[k]) continue;
    while (surplus > 0 && k + 1 < out.length && !raw[k + 1]) {
      out[k] = `${out[k]}, ${out[k + 1]}`;
      out.splice(k + 1, 1);
      raw.splice(k + 1, 1);
      surplus--;
    }
  }
}

function hexOrNum(a: string): number {
  if (a.startsWith('0x')) {
    if (a.length > 14) { // 64-bit: negative values (-1 → 0xffffffffffffffff)
      const b = BigInt.asIntN(64, BigInt(a.split(' ')[0]!));
      return Number(b);
    }
    return parseInt(a.slice(2), 16);
  }
  const v = parseInt(a, 10);
  return v;
}

/** Decodes a Go-quoted string body (strconv.Quote) between the quotes to at most `cap` bytes. */
export function unquoteGo(s: string, from: number, to: number, cap: number, encoding: 'utf8' | 'latin1'): string {
  const bytes: number[] = [];
  let i = from;
  while (i < to && bytes.length < cap) {
    const c = s.charCodeAt(i++);
    if (c !== 92) {
      if (c < 0x80) bytes.push(c);
      else {
        let ch = String.fromCharCode(c);
        if (c >= 0xd800 && c <= 0xdbff && i < to) ch += s[i++];
        for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      }
      continue;
    }
    const e = s.charCodeAt(i++);
    switch (e) {
      case 110: bytes.push(10); break;
      case 116: bytes.push(9); break;
      case 114: bytes.push(13); break;
      case 118: bytes.push(11); break;
      case 102: bytes.push(12); break;
      case 97: bytes.push(7); break;
      case 98: bytes.push(8); break;
      case 120: bytes.push(parseInt(s.slice(i, i + 2), 16) & 0xff); i += 2; break;
      case 117: case 85: {
        const len = e === 117 ? 4 : 8;
        const cp = parseInt(s.slice(i, i + len), 16);
        i += len;
        for (const b of Buffer.from(String.fromCodePoint(Number.isFinite(cp) && cp <= 0x10ffff ? cp : 0xfffd), 'utf8')) bytes.push(b);
        break;
      }
      default:
        if (e >= 48 && e <= 55) { bytes.push(parseInt(s.slice(i - 1, i + 2), 8) & 0xff); i += 2; } else bytes.push(e);
    }
  }
  const buf = Buffer.from(bytes.length > cap ? bytes.slice(0, cap) : bytes);
  return buf.toString(encoding);
}

/** A quoted string argument `0x… "…"` (or a bare `"…"`), with `...` when gVisor cut it. */
function quoted(a: string | undefined, cap: number, encoding: 'utf8' | 'latin1'): { s: string; truncated: boolean } | undefined {
  if (a === undefined) return undefined;
  const q = a.indexOf('"');
  if (q < 0) return undefined;
  let end = a.length;
  let truncated = false;
  if (a.endsWith('"...')) { end -= 3; truncated = true; }
  if (a.charCodeAt(end - 1) !== 34 || end - 1 <= q) return { s: '', truncated };
  const s = unquoteGo(a, q + 1, end - 1, cap, encoding);
  return { s, truncated: truncated || Buffer.byteLength(s, encoding) >= cap };
}

/**
 * `0x… ["a", "b"]` → strings; undefined for `{error copying vector…}` or a bare pointer. `cut` when
 * an element reached `cap` bytes or was followed by gVisor's `...` (its log size limit).
 */
function vector(a: string | undefined, cap: number): { out: string[]; cut: boolean } | undefined {
  if (a === undefined) return undefined;
  const lb = a.indexOf('[');
  if (lb < 0 || a.charCodeAt(a.length - 1) !== 93) return undefined;
  const out: string[] = [];
  let cut = false;
  let i = lb + 1;
  const n = a.length - 1;
  while (i < n) {
    const c = a.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < n) { const d = a.charCodeAt(j); if (d === 92) j += 2; else { j++; if (d === 34) break; } }
      const v = unquoteGo(a, i + 1, j - 1, cap, 'utf8');
      if (Buffer.byteLength(v, 'utf8') >= cap) cut = true;
      out.push(v);
      i = j;
    } else if (c === 46 && a.startsWith('...', i)) { cut = true; i += 3; }
    else i++;
  }
  return { out, cut };
}

/** Path argument `0x47a009 /etc/shadow` → `/etc/shadow` (empty string for `0x… `); undefined on a decode error. */
function pathText(a: string | undefined): string | undefined {
  if (a === undefined) return undefined;
  const j = isHexStart(a, 0);
  if (j < 0) return undefined;
  if (j === a.length) return '';
  if (a.charCodeAt(j) !== 32) return undefined;
  const p = a.slice(j + 1);
  if (p.startsWith('(error decoding path')) return undefined;
  return p;
}

function looksLikeNamedFd(a: string): boolean {
  const j = isHexStart(a, 0);
  return (j > 0 && a.charCodeAt(j) === 32 && a.charCodeAt(j + 1) !== 40) || a.startsWith('AT_FDCWD ');
}

function hint(ev: RawEvent, key: string, value: string | number | boolean): void {
  (ev.hints ??= {})[key] = value;
}

/** gVisor's name of an open file → {num, type, name} (paths, memfds, pipes, sockets, anon inodes, host fds). */
function fdTarget(num: number, name: string): EventFd {
  if (name.startsWith('host:[')) return { num, type: 'pipe', name }; // Docker's stdio, host-backed
  const f = fdFromAnnotation(num, name);
  return { num: f.num, type: f.type, name: f.name };
}

/** An fd argument under `key`; the first named fd of the call becomes `ev.fd`; `AT_FDCWD /cwd` → hints.cwd. */
function fdArg(ev: RawEvent, a: string | undefined, key: string): number {
  if (a === undefined) return NaN;
  if (a.startsWith('AT_FDCWD')) {
    ev.args[key] = AT_FDCWD;
    if (a.length > 9 && a.charCodeAt(9) === 47) hint(ev, 'cwd', a.slice(9));
    return AT_FDCWD;
  }
  const j = isHexStart(a, 0);
  if (j < 0) return NaN;
  const num = hexOrNum(a.slice(0, j));
  const fd = num > 0x7fffffff ? num - 0x100000000 : num;
  ev.args[key] = fd;
  if (a.charCodeAt(j) === 32 && a.charCodeAt(j + 1) !== 40) { // not "(bad FD)"
    const f = fdTarget(fd, a.slice(j + 1));
    if (key !== 'fd') hint(ev, `${key}Name`, f.name);
    if (ev.fd === undefined) ev.fd = f;
  }
  return fd;
}

/** The fd a call returns (open, socket, accept, dup…). gVisor names it on later calls only. */
function retFd(ev: RawEvent, type: EventFd['type'], name = ''): void {
  if (typeof ev.res !== 'number' || ev.res < 0 || ev.hints?.interrupted) return;
  ev.fd = { num: ev.res, type, name };
}

function pathArg(ev: RawEvent, a: string | undefined, key: string): string | undefined {
  const p = pathText(a);
  if (p !== undefined) {
    ev.args[key] = p;
    // gVisor's strace reads paths whole (up to PATH_MAX): only one that fills it may have been cut.
    if (p.length * 4 >= PATH_MAX - 1 && Buffer.byteLength(p, 'utf8') >= PATH_MAX - 1) markTruncated(ev, key);
  }
  return p;
}

const PATH_MAX = 4096;

function numArg(ev: RawEvent, a: string | undefined, key: string): number {
  if (a === undefined) return NaN;
  const v = hexOrNum(a);
  ev.args[key] = Number.isNaN(v) ? a : v;
  return v;
}

/** Symbolic flags with gVisor's `|0x0` remainder dropped; modes `0o644` → `0644` as strace prints them. */
function flagsArg(ev: RawEvent, a: string | undefined, key: string): void {
  if (a === undefined) return;
  let v = a.endsWith('|0x0') ? a.slice(0, -4) : a;
  if (v.indexOf('0o') >= 0) v = v.replace(/(^|\|)0o([0-7]+)/g, '$10$2');
  ev.args[key] = v;
}

function namedBits(a: string | undefined, names: readonly (readonly [number, string])[]): string | undefined {
  if (a === undefined) return undefined;
  let v = hexOrNum(a);
  if (Number.isNaN(v)) return a;
  const parts: string[] = [];
  for (const [bit, name] of names) if (bit !== 0 && (v & bit) === bit) { parts.push(name); v &= ~bit; }
  if (v !== 0 || parts.length === 0) parts.push(`0x${v.toString(16)}`);
  return parts.join('|');
}

function namedValue(a: string | undefined, names: Readonly<Record<number, string>>): string | undefined {
  if (a === undefined) return undefined;
  const v = hexOrNum(a);
  return Number.isNaN(v) ? a : names[v] ?? a;
}

function addrArg(ev: RawEvent, a: string | undefined, key: string): void {
  if (a === undefined) return;
  const f = a.indexOf('{Family: ');
  if (f < 0) return;
  let e = f + 9;
  while (e < a.length && a.charCodeAt(e) !== 44 && a.charCodeAt(e) !== 125) e++;
  const family = a.slice(f + 9, e);
  hint(ev, 'family', family);
  const ad = a.indexOf(', Addr: ', e);
  if (family === 'AF_UNIX') {
    let path = '';
    if (ad >= 0) {
      const q = quoted(a.slice(ad + 8, a.lastIndexOf('}')), 4096, 'utf8');
      path = q?.s ?? '';
      if (path.charCodeAt(0) === 0) path = `@${path.slice(1)}`; // abstract, as strace shows it
    }
    ev.args[key] = path;
    hint(ev, 'path', path);
    return;
  }
  if (ad < 0) { ev.args[key] = family; return; }
  const pp = a.indexOf(', Port: ', ad);
  const ip = a.slice(ad + 8, pp >= 0 ? pp : a.lastIndexOf('}'));
  const port = pp >= 0 ? parseInt(a.slice(pp + 8), 10) : NaN;
  hint(ev, 'ip', ip);
  if (!Number.isNaN(port)) hint(ev, 'port', port);
  ev.args[key] = `${ip}:${Number.isNaN(port) ? 0 : port}`;
}

function dataArg(ev: RawEvent, a: string | undefined, p: GvisorParser): void {
  const q = quoted(a, p.dataCap, 'latin1');
  if (q === undefined) return;
  ev.args.data = q.s;
  if (q.truncated) markTruncated(ev, 'data');
}

/** `CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11` → `…|SIGCHLD` (the low byte is the exit signal). */
function cloneFlags(a: string | undefined): string {
  if (a === undefined) return '';
  const bar = a.lastIndexOf('|');
  const last = a.slice(bar + 1);
  if (last.startsWith('0x')) {
    const v = parseInt(last.slice(2), 16);
    if (v > 0 && v < 0x100) return `${a.slice(0, bar + 1)}${SIGNAL_NAME[v] ?? last}`;
  }
  if (a.startsWith('0x') && bar < 0) return namedBits(a, CLONE_BITS) ?? a;
  return a;
}

const O_CLOEXEC_BITS = [[0x80000, 'O_CLOEXEC'], [0x800, 'O_NONBLOCK'], [0x4000, 'O_DIRECT']] as const;
const AT_BITS = [[0x1000, 'AT_EMPTY_PATH'], [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW']] as const;
const MFD_BITS = [[1, 'MFD_CLOEXEC'], [2, 'MFD_ALLOW_SEALING'], [4, 'MFD_HUGETLB']] as const;
const CLONE_BITS = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'], [0x2000, 'CLONE_PTRACE'],
  [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'],
  [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'], [0x800000, 'CLONE_UNTRACED'],
  [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'],
  [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'],
] as const;
const FCNTL_CMDS: Record<number, string> = {
  0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW',
  8: 'F_SETOWN', 9: 'F_GETOWN', 0x406: 'F_DUPFD_CLOEXEC', 0x409: 'F_ADD_SEALS', 0x40a: 'F_GET_SEALS',
};
const PRCTL_OPTIONS: Record<number, string> = {
  1: 'PR_SET_PDEATHSIG', 3: 'PR_GET_DUMPABLE', 4: 'PR_SET_DUMPABLE', 8: 'PR_SET_KEEPCAPS', 15: 'PR_SET_NAME', 16: 'PR_GET_NAME',
  22: 'PR_SET_SECCOMP', 23: 'PR_CAPBSET_READ', 24: 'PR_CAPBSET_DROP', 36: 'PR_SET_CHILD_SUBREAPER', 38: 'PR_SET_NO_NEW_PRIVS',
  47: 'PR_CAP_AMBIENT',
};
const BPF_CMDS: Record<number, string> = {
  0: 'BPF_MAP_CREATE', 1: 'BPF_MAP_LOOKUP_ELEM', 2: 'BPF_MAP_UPDATE_ELEM', 5: 'BPF_PROG_LOAD', 8: 'BPF_PROG_ATTACH',
  17: 'BPF_RAW_TRACEPOINT_OPEN', 18: 'BPF_BTF_LOAD', 28: 'BPF_LINK_CREATE',
};
const PTRACE_REQUESTS: Record<number, string> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 4: 'PTRACE_POKETEXT', 5: 'PTRACE_POKEDATA', 6: 'PTRACE_POKEUSER',
  7: 'PTRACE_CONT', 12: 'PTRACE_GETREGS', 13: 'PTRACE_SETREGS', 16: 'PTRACE_ATTACH', 17: 'PTRACE_DETACH', 0x4206: 'PTRACE_SEIZE',
};

/**
 * Arguments gVisor prints per syscall (its strace table), for re-joining paths that contain `, `. Only
 * syscalls with path or fd-name arguments need an entry.
 */
const ARG_COUNT: Record<string, number> = {
  read: 3, write: 3, open: 3, close: 1, stat: 2, fstat: 2, lstat: 2, pread64: 4, pwrite64: 4, readv: 3, writev: 3,
  access: 2, dup: 1, dup2: 2, dup3: 3, connect: 3, bind: 3, listen: 2, accept: 3, accept4: 4, sendto: 6, recvfrom: 6,
  sendmsg: 3, recvmsg: 3, execve: 3, execveat: 5, fcntl: 3, truncate: 2, ftruncate: 2, chdir: 1, fchdir: 1, rename: 2,
  mkdir: 2, rmdir: 1, creat: 2, link: 2, unlink: 1, symlink: 2, readlink: 3, chmod: 2, fchmod: 2, chown: 3, fchown: 3,
  lchown: 3, chroot: 1, mount: 5, umount2: 2, openat: 4, mkdirat: 3, mknodat: 4, fchownat: 5, newfstatat: 4, unlinkat: 3,
  renameat: 4, linkat: 5, symlinkat: 3, readlinkat: 4, fchmodat: 3, faccessat: 4, faccessat2: 4, renameat2: 5,
  memfd_create: 2, statx: 5, getdents64: 3, ioctl: 3, sendfile: 4, finit_module: 3, setns: 2, mknod: 3, getcwd: 2,
  lseek: 3, fsync: 1, fdatasync: 1, flock: 2, fstatfs: 2, statfs: 2, utimensat: 4, inotify_add_watch: 3, openat2: 4,
  copy_file_range: 6, splice: 6, mmap: 6, shutdown: 2, getsockname: 3, getpeername: 3, setsockopt: 5, getsockopt: 5,
};

/** How gVisor spells each argument kind (syscall-signatures.ts). */
const KIND: Record<ArgKind, (ev: RawEvent, a: string[], s: ArgSig, p: GvisorParser) => void> = {
  fd: (ev, a, s) => { fdArg(ev, a[s.at], s.key); },
  namedfd: (ev, a, s) => { if (a[s.at] !== undefined && looksLikeNamedFd(a[s.at]!)) fdArg(ev, a[s.at], s.key); },
  listenfd: (ev, a, s) => { hint(ev, 'listenFd', fdArg(ev, a[s.at], s.key)); },
  newfd: (ev, a, s) => { numArg(ev, (a[s.at] ?? '').split(' ')[0], s.key); },
  path: (ev, a, s) => { pathArg(ev, a[s.at], s.key); },
  num: (ev, a, s) => { numArg(ev, a[s.at], s.key); },
  pid: (ev, a, s) => { numArg(ev, a[s.at], s.key); },
  raw: (ev, a, s) => {
    const v = a[s.at];
    if (v !== undefined) ev.args[s.key] = v;
    else if (s.orEmpty) ev.args[s.key] = '';
  },
  mode: (ev, a, s) => { flagsArg(ev, a[s.at], s.key); },
  oflags: (ev, a, s) => { flagsArg(ev, a[s.at], s.key); },
  atflags: (ev, a, s) => { bitsArg(ev, a[s.at], s.key, AT_BITS); },
  fdflags: (ev, a, s) => { bitsArg(ev, a[s.at], s.key, O_CLOEXEC_BITS); },
  mfdflags: (ev, a, s) => { bitsArg(ev, a[s.at], s.key, MFD_BITS); },
  fcntlcmd: (ev, a, s) => { ev.args[s.key] = namedValue(a[s.at], FCNTL_CMDS) ?? ''; },
  ptracereq: (ev, a, s) => { ev.args[s.key] = namedValue(a[s.at], PTRACE_REQUESTS) ?? ''; },
  prctlopt: (ev, a, s) => { ev.args[s.key] = namedValue(a[s.at], PRCTL_OPTIONS) ?? ''; },
  bpfcmd: (ev, a, s) => { ev.args[s.key] = namedValue(a[s.at], BPF_CMDS) ?? ''; },
  socktype: (ev, a, s) => { const v = a[s.at]; ev.args[s.key] = v !== undefined && v.endsWith('|0x0') ? v.slice(0, -4) : v ?? ''; },
  cloneflags: (ev, a, s) => { ev.args[s.key] = cloneFlags(a[s.at]); },
  clone3flags: (ev, _a, s) => { ev.args[s.key] = ''; }, // gVisor prints only the struct's address
  nsflags: (ev, a, s) => { ev.args[s.key] = cloneFlags(a[s.at]); },
  nstype: (ev, a, s) => { ev.args[s.key] = namedBits(a[s.at], CLONE_BITS) ?? ''; },
  const: (ev, _a, s) => { ev.args[s.key] = s.value!; },
  data: (ev, a, s, p) => { dataArg(ev, a[s.at], p); },
  iov: (ev, a, s, p) => { dataArg(ev, a[s.at], p); },
  msghdr: (ev, a, s, p) => {
    const m = a[s.at];
    addrArg(ev, m, s.key);
    const q = m !== undefined ? m.indexOf('"') : -1;
    if (q >= 0) dataArg(ev, m!.slice(q, m!.indexOf('"', q + 1) + 1), p);
  },
  addr: (ev, a, s) => { addrArg(ev, a[s.at], s.key); },
  argv: (ev, a, s, p) => {
    const av = vector(a[s.at], p.stringCap);
    if (av !== undefined) {
      const args = av.out;
      ev.proc = { args, exe: args[0] ?? '' };
      ev.args.args = args.slice(1).join(' ');
      if (av.cut) markTruncated(ev, 'argv');
    }
  },
  envp: (ev, a, s, p) => {
    const env = vector(a[s.at], p.stringCap);
    if (env !== undefined) {
      ev.env = env.out;
      if (env.cut) markTruncated(ev, 'env');
    }
  },
  pipefds: (ev, a, s) => {
    const v = a[s.at];
    const lb = v?.indexOf('[') ?? -1;
    if (v !== undefined && lb >= 0) {
      const [f1, f2] = v.slice(lb + 1, v.indexOf(']', lb)).split(' ').map((x) => parseInt(x, 10));
      if (f1 !== undefined && !Number.isNaN(f1)) ev.args.fd1 = f1;
      if (f2 !== undefined && !Number.isNaN(f2)) ev.args.fd2 = f2;
      hint(ev, 'fd1Name', 'pipe');
      hint(ev, 'fd2Name', 'pipe');
    }
  },
  // gVisor prints these as bare addresses: nothing to decode.
  fdpair: () => undefined,
  openhow: () => undefined,
  taskname: () => undefined,
};

function bitsArg(ev: RawEvent, a: string | undefined, key: string, names: readonly (readonly [number, string])[]): void {
  const v = namedBits(a, names);
  if (v !== undefined) ev.args[key] = v;
}

/** How gVisor shows what a call returns (syscall-signatures.ts ReturnSig). gVisor names a new fd on later calls only. */
function decodeReturn(ev: RawEvent, r: ReturnSig): void {
  if (typeof r === 'object') { retFd(ev, r.fd); return; }
  switch (r) {
    case 'file': {
      ev.fd = undefined;
      retFd(ev, 'file', typeof ev.args.name === 'string' ? ev.args.name : '');
      const got = ev.fd as EventFd | undefined;
      if (got !== undefined) ev.args.fd = got.num;
      return;
    }
    case 'memfd':
      retFd(ev, 'memfd', `memfd:${typeof ev.args.name === 'string' ? ev.args.name : ''}`);
      if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
      return;
    case 'socket': {
      const domain = String(ev.args.domain);
      const l4 = domain === 'AF_INET' || domain === 'AF_INET6' ? inetL4proto(String(ev.args.type), String(ev.args.proto)) : undefined;
      if (l4 !== undefined) hint(ev, 'l4proto', l4);
      retFd(ev, socketFdType(domain));
      return;
    }
    case 'accept':
      retFd(ev, ev.fd?.type ?? 'unknown');
      if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
      return;
    case 'dup': retFd(ev, ev.fd?.type ?? 'unknown', ev.fd?.name ?? ''); return;
    case 'dupfd':
      if (String(ev.args.cmd).startsWith('F_DUPFD')) { hint(ev, 'dup', true); retFd(ev, ev.fd?.type ?? 'unknown', ev.fd?.name ?? ''); }
      return;
    case 'child':
      hint(ev, 'cloneFlags', ev.args.flags as string);
      if (typeof ev.res === 'number' && ev.res > 0) {
        hint(ev, 'childVpid', ev.res);
        hint(ev, 'childPid', ev.res);
      }
      return;
    case 'size': if (typeof ev.res === 'number') ev.args.size = ev.res; return;
  }
}

/** Decodes a call's arguments and return per its signature. */
function decodeCall(ev: RawEvent, sig: SyscallSignature, a: string[], p: GvisorParser): void {
  for (const s of sig.args) if (s.only === undefined || s.only === 'gvisor') KIND[s.kind](ev, a, s, p);
  if (sig.returns !== undefined) decodeReturn(ev, sig.returns);
}
