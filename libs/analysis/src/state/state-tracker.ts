/**
 * State tracker: replays RawEvents in trace order and produces NormalizedEvents plus the
 * EvalContexts rules read (process tree and ancestors, fd tables across dup/fork, cwd, uid/gid,
 * drift, fileless exec, resolved paths of path-only syscalls), and a report-ready RunSummary.
 *
 * Memory is bounded by what is live: exited processes and closed fds are dropped; summary lists are
 * capped. Contexts are live views: `ctx.proc` / `ctx.fd` are the tracker's own objects and change as
 * later events are processed, so evaluate a context before feeding the next event (or copy it).
 */
import { EVENT_VERSION, type EventFd, type EventSource, type FdType, type NormalizedEvent, type RawEvent } from '../events/event.js';
import type { EvalContext, FdState, FsPaths, ProcessState, SandboxMetadata } from './context.js';
import { AT_FDCWD, FS_PATH_SPECS, resolveFsPaths } from './fs-path.js';
import { basename, resolvePath } from './path.js';
import { TRUNC_BIT, truncatedParts } from '../rules/truncation.js';
import type {
  EntrypointSummary, FileOp, FileWrite, NetworkAttempt, ProcessSummary, RunSummary, TrackerStats,
} from './run-summary.js';

/** Docker's default capability set (what a non-strict sandbox grants). */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const WRAPPER_EXE = '/.quarantine/hold';

export interface InitialProcess {
  /** Host pid of the wrapper; default: the pid of the first event. */
  pid?: number;
  /** Its pid inside the sandbox (from /proc/<pid>/status NSpid), if the worker knows it. */
  vpid?: number;
  uid?: number;
  gid?: number;
  cwd?: string;
  env?: string[];
  /** Wrapper argv (defaults to [WRAPPER_EXE]). */
  args?: string[];
  capEffective?: readonly string[];
  capPermitted?: readonly string[];
  /** Audit login uid of the sandbox (Falco user.loginuid), inherited by every process; default -1 (unset). */
  loginuid?: number;
}

export interface StateTrackerOptions {
  sandbox: SandboxMetadata;
  initial?: InitialProcess;
  /** Path of the stop-then-exec wrapper; its events before the entrypoint's execve are not shown to rules. */
  wrapperExe?: string;
  /** Show wrapper events to rules anyway (debugging). Default false. */
  showWrapperEvents?: boolean;
  maxProcessesInSummary?: number;
  maxFilesInSummary?: number;
  maxNetworkInSummary?: number;
  /** Cap of the drift set (paths written during the run). Default 100k. */
  maxTrackedWrites?: number;
  /** Ancestor chains longer than this are cut at exited ancestors. Default 32. */
  maxAncestorDepth?: number;
}

interface TrackedFd extends FdState {
  cloexec: boolean;
  /** Local address from bind(). */
  boundIp?: string;
  boundPort?: number;
}

interface FdTable {
  map: Map<number, TrackedFd>;
  refs: number;
}

interface Proc {
  state: ProcessState;
  fds: FdTable;
  tids: Set<number>;
  leader: number;
  wrapper: boolean;
  summary?: ProcessSummary;
  /** Execve attempts failed while wrapper (errno). */
  lastExecError?: string;
}

interface ExpectedChild {
  parent: Proc;
  flags: string;
  vpid: number;
}

const CONTAINER_FIELDS = { id: '', image: '' };

function hasFlag(flags: string | number | undefined, name: string): boolean {
  return typeof flags === 'string' && flags.indexOf(name) >= 0;
}

function isWriteOpen(flags: string | number | undefined): boolean {
  return typeof flags === 'string' && (flags.indexOf('O_WRONLY') >= 0 || flags.indexOf('O_RDWR') >= 0 || flags.indexOf('O_CREAT') >= 0 || flags.indexOf('O_TRUNC') >= 0);
}

function str(v: string | number | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: string | number | boolean | undefined): number | undefined {
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
}

function familyOf(type: FdType): NetworkAttempt['family'] {
  switch (type) {
    case 'ipv4': case 'ipv6': case 'unix': case 'netlink': case 'packet': return type;
    default: return 'unknown';
  }
}

const PROC_FD_PREFIXES = ['/proc/self/fd/', '/dev/fd/', '/proc/thread-self/fd/'];

const T_ARGS = TRUNC_BIT.args;
const T_CMD = TRUNC_BIT.cmdline;
const T_ENV = TRUNC_BIT.env;
const T_EXE = TRUNC_BIT.exepath;
const T_OWN = T_CMD | T_ENV | T_EXE;

/** A child's truncation bits from its parent's: it shares the parent's identity until it execs. */
function childTruncation(pm: number): number {
  let m = pm & T_OWN;
  if (pm & T_CMD) m |= TRUNC_BIT.pcmdline | TRUNC_BIT.acmdline;
  if (pm & T_EXE) m |= TRUNC_BIT.pexepath | TRUNC_BIT.aexepath;
  if (pm & (TRUNC_BIT.pcmdline | TRUNC_BIT.acmdline)) m |= TRUNC_BIT.acmdline;
  if (pm & (TRUNC_BIT.pexepath | TRUNC_BIT.aexepath)) m |= TRUNC_BIT.aexepath;
  return m;
}

/** Truncation bits of the event's own arguments (captured data buffers are prefixes by design). */
function argTruncation(raw: RawEvent): number {
  const t = raw.truncatedArgs;
  if (t === undefined) return 0;
  for (const a of t) if (a !== 'data' && a !== 'env') return T_ARGS;
  return 0;
}

/** The tracker's handler of each event type, by family (the methods are grouped the same way in StateTracker). */
const HANDLERS_BY_FAMILY = {
  process: [
    [['execve', 'execveat'], 'onExec'],
    [['clone', 'clone3', 'fork', 'vfork'], 'onClone'],
    [['procexit'], 'onExit'],
    [['setsid'], 'onSetsid'],
    [['setpgid'], 'onSetpgid'],
  ],
  privilege: [
    [['setuid', 'setreuid', 'setresuid'], 'onSetuid'],
    [['setgid', 'setregid', 'setresgid'], 'onSetgid'],
  ],
  fd: [
    [['open', 'openat', 'openat2', 'creat'], 'onOpen'],
    [['memfd_create'], 'onMemfdCreate'],
    [['pipe', 'pipe2'], 'onPipe'],
    [['dup', 'dup2', 'dup3'], 'onDup'],
    [['fcntl'], 'onFcntl'],
    [['close'], 'onClose'],
    [['close_range'], 'onCloseRange'],
  ],
  network: [
    [['socket'], 'onSocket'],
    [['socketpair'], 'onSocketpair'],
    [['connect'], 'onConnect'],
    [['bind'], 'onBind'],
    [['listen'], 'onListen'],
    [['accept', 'accept4'], 'onAccept'],
    [['sendto', 'sendmsg'], 'onSend'],
  ],
  file: [
    [['write', 'pwrite64', 'writev', 'pwritev', 'ftruncate', 'fchmod', 'fchown'], 'onFdWrite'],
    [['sendfile', 'copy_file_range', 'splice'], 'onCopyOut'],
    [['unlink', 'rmdir', 'unlinkat', 'chmod', 'fchmodat', 'chown', 'lchown', 'fchownat', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'truncate'], 'onPathChange'],
    [['rename', 'renameat', 'renameat2'], 'onRename'],
    [['link', 'linkat', 'symlink', 'symlinkat'], 'onLink'],
    [['utimensat', 'mount', 'umount', 'umount2', 'quotactl'], 'onPathOnly'],
  ],
  cwd: [
    [['chdir'], 'onChdir'],
    [['fchdir'], 'onFchdir'],
  ],
} as const;

/** What a change by path does to the file, by event type (onPathChange). */
const PATH_CHANGE_OP: Readonly<Record<string, FileOp>> = {
  unlink: 'delete', rmdir: 'delete', unlinkat: 'delete', chmod: 'chmod', fchmodat: 'chmod', chown: 'chown', lchown: 'chown', fchownat: 'chown',
  mkdir: 'mkdir', mkdirat: 'mkdir', mknod: 'mknod', mknodat: 'mknod', truncate: 'truncate',
};

type HandlerName = (typeof HANDLERS_BY_FAMILY)[keyof typeof HANDLERS_BY_FAMILY][number][1];

/** Event type → handler; any other type goes to `onOtherFd`. */
const EVENT_HANDLERS: ReadonlyMap<string, HandlerName> = new Map(
  Object.values(HANDLERS_BY_FAMILY).flatMap((family) => family.flatMap(([types, handler]) => types.map((t): [string, HandlerName] => [t, handler]))),
);

export class StateTracker {
  private readonly procs = new Map<number, Proc>(); // by host tid
  private readonly expected: ExpectedChild[] = [];
  private readonly written = new Set<string>();
  private readonly files = new Map<string, FileWrite>();
  private readonly network = new Map<string, NetworkAttempt>();
  private readonly summaries: ProcessSummary[] = [];
  private readonly sandbox: SandboxMetadata;
  private readonly container: { id: string; image: string };
  private readonly wrapperExe: string;
  private readonly opts: StateTrackerOptions;
  private readonly maxProcs: number;
  private readonly maxFiles: number;
  private readonly maxNet: number;
  private readonly maxWrites: number;
  private readonly maxDepth: number;
  private seq = 0;
  private liveCount = 0;
  private entry: Proc | undefined;
  private entrypoint: EntrypointSummary = { started: false };
  private processesTruncated = 0;
  private filesTruncated = 0;
  private networkTruncated = 0;
  private lastChanged: TrackedFd | undefined;
  /** Paths of the current event when it is a path-only syscall (set by apply, taken by push). */
  private fsPath: FsPaths | undefined;
  readonly stats: TrackerStats = { events: 0, suppressed: 0, orphans: 0, fdResyncs: 0, processesSeen: 0, liveProcesses: 0, peakLiveProcesses: 0 };

  constructor(options: StateTrackerOptions) {
    this.opts = options;
    this.sandbox = options.sandbox;
    this.container = options.sandbox ? { id: options.sandbox.containerId, image: options.sandbox.image } : CONTAINER_FIELDS;
    this.wrapperExe = options.wrapperExe ?? WRAPPER_EXE;
    this.maxProcs = options.maxProcessesInSummary ?? 5000;
    this.maxFiles = options.maxFilesInSummary ?? 5000;
    this.maxNet = options.maxNetworkInSummary ?? 1000;
    this.maxWrites = options.maxTrackedWrites ?? 100_000;
    this.maxDepth = options.maxAncestorDepth ?? 32;
  }

  /** Live processes (thread groups) currently tracked. */
  get liveProcesses(): number { return this.liveCount; }

  /** Open fds currently tracked across all live processes (shared tables counted once). */
  get liveFds(): number {
    const seen = new Set<FdTable>();
    let n = 0;
    for (const p of this.procs.values()) if (!seen.has(p.fds)) { seen.add(p.fds); n += p.fds.map.size; }
    return n;
  }

  /** The entrypoint's process (live or exited), or undefined before the first event. */
  get entryProcess(): ProcessState | undefined { return this.entry?.state; }

  /** Looks up the live process of a host pid/tid (for tests and the worker). */
  process(pid: number): ProcessState | undefined { return this.procs.get(pid)?.state; }

  /**
   * Feeds one RawEvent; returns what rules see, or undefined when the event is hidden (wrapper
   * activity before the entrypoint's execve).
   */
  push(raw: RawEvent): EvalContext | undefined {
    if (this.lastChanged !== undefined) { this.lastChanged.nameChanged = false; this.lastChanged = undefined; }
    const p = this.lookup(raw);
    const wasWrapper = p.wrapper;
    const fd = this.apply(p, raw);
    const fsPath = this.fsPath;
    if (fsPath !== undefined) this.fsPath = undefined;
    // The wrapper is invisible to rules until its execve of the entrypoint, which is shown with the new identity.
    if (wasWrapper && p.wrapper && this.opts.showWrapperEvents !== true) {
      this.stats.suppressed++;
      return undefined;
    }
    const ctx = this.emit(p, raw, fd);
    if (fsPath !== undefined) ctx.fsPath = fsPath;
    return ctx;
  }

  /**
   * An event that does not come from the probe (a network capture): numbered in the same stream and
   * attributed to `proc` (a snapshot of the process it was correlated with), without changing state.
   */
  pushDetached(raw: RawEvent, proc: ProcessState): EvalContext {
    if (this.lastChanged !== undefined) { this.lastChanged.nameChanged = false; this.lastChanged = undefined; }
    this.stats.events++;
    const event: NormalizedEvent = {
      v: EVENT_VERSION, seq: ++this.seq, ts: raw.ts, source: raw.source, type: raw.type, res: raw.res, rawres: raw.rawres,
      pid: proc.pid, tid: proc.pid, ppid: proc.ppid,
      proc: { name: proc.name, exe: proc.exe, args: proc.args, cwd: proc.cwd, uid: proc.uid, gid: proc.gid },
      args: raw.args, container: this.container,
    };
    if (proc.vpid !== undefined) event.vpid = proc.vpid;
    const ctx: EvalContext = { event, proc, sandbox: this.sandbox };
    if (raw.fd !== undefined) { event.fd = raw.fd; ctx.fd = this.fdFromEvent(raw.fd); }
    return ctx;
  }

  /** The first writer of a path written during the run, if the summary kept it. */
  fileWrite(path: string): Readonly<FileWrite> | undefined { return this.files.get(path); }

  /** Ends the run: the summary for the report. Call after the last event. */
  finish(): RunSummary {
    this.stats.liveProcesses = this.liveCount;
    return {
      entrypoint: { ...this.entrypoint },
      processes: this.summaries,
      processesTruncated: this.processesTruncated,
      filesWritten: [...this.files.values()],
      filesWrittenTruncated: this.filesTruncated,
      network: [...this.network.values()],
      networkTruncated: this.networkTruncated,
      stats: { ...this.stats },
    };
  }

  // -------------------------------------------------------------------------------------------

  private emit(p: Proc, raw: RawEvent, fd: TrackedFd | undefined): EvalContext {
    const s = p.state;
    this.stats.events++;
    let efd: EventFd | undefined;
    if (fd !== undefined) efd = { num: fd.num, type: fd.type, name: fd.name };
    else if (raw.fd !== undefined) efd = raw.fd;
    const event: NormalizedEvent = {
      v: EVENT_VERSION,
      seq: ++this.seq,
      ts: raw.ts,
      source: raw.source as EventSource,
      type: raw.type,
      res: raw.res,
      rawres: raw.rawres,
      pid: p.leader,
      tid: raw.tid,
      ppid: s.ppid,
      proc: { name: s.name, exe: s.exe, args: s.args, cwd: s.cwd, uid: s.uid, gid: s.gid },
      args: raw.args,
      container: this.container,
    };
    if (s.vpid !== undefined) event.vpid = s.vpid;
    if (efd !== undefined) event.fd = efd;
    const cut = (s.truncated ?? 0) | (raw.truncatedArgs !== undefined ? argTruncation(raw) : 0) | (fd?.nameTruncated === true ? T_ARGS : 0);
    if (cut !== 0) event.truncated = truncatedParts(cut);
    const ctx: EvalContext = { event, proc: s, sandbox: this.sandbox };
    if (fd !== undefined) ctx.fd = fd;
    else if (raw.fd !== undefined) ctx.fd = this.fdFromEvent(raw.fd);
    return ctx;
  }

  private lookup(raw: RawEvent): Proc {
    const tid = raw.tid;
    let p = this.procs.get(tid);
    if (p !== undefined) return p;
    if (this.stats.processesSeen === 0) return this.createInitial(raw);
    const h = raw.hints;
    const parentPid = num(h?.parentPid);
    const parent = parentPid !== undefined ? this.procs.get(parentPid) : undefined;
    if (parent !== undefined) return this.createChild(parent, tid, String(h?.cloneFlags ?? ''), undefined, raw.ts);
    const ex = this.expected.shift();
    if (ex !== undefined && this.procs.get(ex.parent.leader) === ex.parent) return this.createChild(ex.parent, tid, ex.flags, ex.vpid, raw.ts);
    this.stats.orphans++;
    p = this.newProc(tid, undefined, raw.ts, undefined);
    return p;
  }

  private createInitial(raw: RawEvent): Proc {
    const init = this.opts.initial ?? {};
    const pid = raw.tid;
    const args = init.args ?? [this.wrapperExe];
    const state: ProcessState = {
      pid, ppid: 0, name: basename(this.wrapperExe).slice(0, 15), exe: args[0] ?? this.wrapperExe, exepath: this.wrapperExe,
      args, cwd: init.cwd ?? '/', uid: init.uid ?? 0, gid: init.gid ?? 0, loginuid: init.loginuid ?? -1, env: init.env ?? [],
      tty: 0, sid: 0, pgid: 0, startTs: raw.ts, exeWritten: false, exeFromMemfd: false,
      capEffective: [...(init.capEffective ?? DOCKER_DEFAULT_CAPS)], capPermitted: [...(init.capPermitted ?? init.capEffective ?? DOCKER_DEFAULT_CAPS)],
    };
    if (init.vpid !== undefined) state.vpid = init.vpid;
    const p = this.register(pid, state, { map: new Map(), refs: 1 });
    p.wrapper = true;
    this.entry = p;
    this.entrypoint = { started: false, pid };
    if (init.vpid !== undefined) this.entrypoint.vpid = init.vpid;
    return p;
  }

  private newProc(pid: number, parent: Proc | undefined, ts: number, vpid: number | undefined): Proc {
    const ps = parent?.state;
    const state: ProcessState = {
      pid, ppid: parent?.leader ?? 0, name: ps?.name ?? '', exe: ps?.exe ?? '', exepath: ps?.exepath ?? '',
      args: ps?.args ?? [], cwd: ps?.cwd ?? '/', uid: ps?.uid ?? 0, gid: ps?.gid ?? 0, loginuid: ps?.loginuid ?? -1,
      env: ps?.env ?? [], tty: ps?.tty ?? 0, sid: ps?.sid ?? 0, pgid: ps?.pgid ?? 0, startTs: ts,
      exeWritten: ps?.exeWritten ?? false, exeFromMemfd: ps?.exeFromMemfd ?? false,
      capEffective: ps?.capEffective ?? [], capPermitted: ps?.capPermitted ?? [],
    };
    if (vpid !== undefined) state.vpid = vpid;
    if (ps?.exeDownload !== undefined) state.exeDownload = ps.exeDownload;
    if (ps !== undefined) state.parent = this.capChain(ps);
    if (ps?.truncated) state.truncated = childTruncation(ps.truncated);
    let fds: FdTable;
    if (parent === undefined) fds = { map: new Map(), refs: 1 };
    else {
      const map = new Map<number, TrackedFd>();
      for (const [k, v] of parent.fds.map) map.set(k, { ...v });
      fds = { map, refs: 1 };
    }
    return this.register(pid, state, fds);
  }

  private register(pid: number, state: ProcessState, fds: FdTable): Proc {
    const p: Proc = { state, fds, tids: new Set([pid]), leader: pid, wrapper: false };
    this.procs.set(pid, p);
    this.stats.processesSeen++;
    this.liveCount++;
    if (this.liveCount > this.stats.peakLiveProcesses) this.stats.peakLiveProcesses = this.liveCount;
    if (this.summaries.length < this.maxProcs) {
      p.summary = {
        pid, ppid: state.ppid, name: state.name, exe: state.exe, exepath: state.exepath, args: state.args,
        startTs: state.startTs, execs: [], threads: 1,
      };
      if (state.vpid !== undefined) p.summary.vpid = state.vpid;
      this.summaries.push(p.summary);
    } else this.processesTruncated++;
    return p;
  }

  /** Cuts the ancestor chain at `maxDepth` so fork-exit-fork chains cannot grow without bound. */
  private capChain(ps: ProcessState): ProcessState {
    let cur: ProcessState | undefined = ps;
    for (let d = 1; cur !== undefined; d++) {
      if (d >= this.maxDepth && cur.parent !== undefined) { cur.parent = undefined; break; }
      cur = cur.parent;
    }
    return ps;
  }

  private createChild(parent: Proc, tid: number, flags: string, vpid: number | undefined, ts: number): Proc {
    const existing = this.procs.get(tid);
    if (existing !== undefined) {
      if (vpid !== undefined && existing.leader === tid && existing.state.vpid === undefined) {
        existing.state.vpid = vpid;
        if (existing.summary !== undefined) existing.summary.vpid = vpid;
      }
      return existing;
    }
    if (hasFlag(flags, 'CLONE_THREAD')) {
      parent.tids.add(tid);
      this.procs.set(tid, parent);
      if (parent.summary !== undefined) parent.summary.threads++;
      return parent;
    }
    const child = this.newProc(tid, parent, ts, vpid);
    if (hasFlag(flags, 'CLONE_FILES')) {
      child.fds = parent.fds;
      parent.fds.refs++;
    }
    if (hasFlag(flags, 'CLONE_PARENT') && parent.state.parent !== undefined) {
      child.state.parent = parent.state.parent;
      child.state.ppid = parent.state.ppid;
      if (child.summary !== undefined) child.summary.ppid = parent.state.ppid;
    }
    return child;
  }

  private fdFromEvent(f: EventFd): TrackedFd {
    return { num: f.num, type: f.type, name: f.name, nameraw: f.name, connected: false, isServer: false, nameChanged: false, cloexec: false };
  }

  /** The fd `n` of `p`: the tracker's entry, or one learnt from strace's annotation (fds inherited from before the trace). */
  private fdOf(p: Proc, n: number | undefined, raw: RawEvent): TrackedFd | undefined {
    if (n === undefined) return undefined;
    const have = p.fds.map.get(n);
    const ann = raw.fd !== undefined && raw.fd.num === n ? raw.fd : undefined;
    if (have !== undefined) {
      if (ann !== undefined && ann.type !== have.type && !(ann.type === 'unknown' || (have.type === 'directory' && ann.type === 'file'))) {
        this.stats.fdResyncs++;
        const f = this.fdFromEvent(ann);
        p.fds.map.set(n, f);
        return f;
      }
      return have;
    }
    if (ann === undefined || n < 0) return undefined;
    this.stats.fdResyncs++;
    const f = this.fdFromEvent(ann);
    p.fds.map.set(n, f);
    return f;
  }

  private setFd(p: Proc, f: TrackedFd): void {
    p.fds.map.set(f.num, f);
  }

  private noteWrite(p: Proc, path: string, op: FileOp, ts: number): void {
    if (path === '') return;
    if (this.written.size < this.maxWrites || this.written.has(path)) this.written.add(path);
    let fw = this.files.get(path);
    if (fw === undefined) {
      if (this.files.size >= this.maxFiles) { this.filesTruncated++; return; }
      fw = { path, ops: [op], pid: p.leader, firstTs: ts, lastTs: ts, count: 1 };
      this.files.set(path, fw);
      return;
    }
    fw.lastTs = ts;
    fw.count++;
    if (!fw.ops.includes(op)) fw.ops.push(op);
  }

  private noteNet(p: Proc, syscall: NetworkAttempt['syscall'], fd: TrackedFd | undefined, raw: RawEvent, address: string, port: number | undefined): void {
    const family = fd !== undefined ? familyOf(fd.type) : (raw.hints?.family === 'AF_INET6' ? 'ipv6' : raw.hints?.family === 'AF_UNIX' ? 'unix' : 'ipv4');
    const result = typeof raw.res === 'number' ? (raw.res >= 0 ? 'ok' : String(raw.res)) : raw.res;
    const key = `${syscall}|${family}|${address}|${port ?? ''}|${result}`;
    const have = this.network.get(key);
    if (have !== undefined) { have.count++; return; }
    if (this.network.size >= this.maxNet) { this.networkTruncated++; return; }
    const a: NetworkAttempt = { syscall, family, address, result, pid: p.leader, firstTs: raw.ts, count: 1 };
    if (port !== undefined) a.port = port;
    if (fd?.l4proto !== undefined) a.l4proto = fd.l4proto;
    this.network.set(key, a);
  }

  /** Directory a `*at` call resolves against. */
  private dirOf(p: Proc, raw: RawEvent, key: string): string {
    const d = num(raw.args[key]);
    if (d === undefined || d === -100) return p.state.cwd;
    const f = p.fds.map.get(d);
    if (f !== undefined) return f.name;
    const n = raw.hints?.[`${key}Name`];
    return typeof n === 'string' ? n : p.state.cwd;
  }

  /**
   * Resolves and records (for the context) the paths of a path-only syscall. A relative path
   * under a dirfd the tracker does not know (and strace did not annotate) stays unresolved
   * rather than guessed against the cwd.
   */
  private pathsOf(p: Proc, raw: RawEvent): FsPaths {
    const spec = FS_PATH_SPECS.get(raw.type);
    if (spec === undefined) return {};
    const cwd = p.state.cwd;
    const fsPath = resolveFsPaths(spec, raw.args, (dirArg) => {
      if (dirArg === undefined) return cwd;
      const d = num(raw.args[dirArg]);
      if (d === undefined || d === AT_FDCWD) return cwd;
      const f = p.fds.map.get(d);
      if (f !== undefined) return f.name.charCodeAt(0) === 47 ? f.name : undefined;
      const n = raw.hints?.[`${dirArg}Name`];
      return typeof n === 'string' && n.charCodeAt(0) === 47 ? n : undefined;
    });
    this.fsPath = fsPath;
    return fsPath;
  }

  private pathAt(p: Proc, raw: RawEvent, dirKey: string | undefined, nameKey: string): string | undefined {
    const name = str(raw.args[nameKey]);
    if (name === undefined) return undefined;
    return resolvePath(dirKey !== undefined ? this.dirOf(p, raw, dirKey) : p.state.cwd, name);
  }

  private ok(raw: RawEvent): boolean {
    return typeof raw.res === 'number' && raw.res >= 0;
  }

  /** Applies the event to the state; returns the fd the event is about. Handlers by event type: EVENT_HANDLERS. */
  private apply(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    if (h !== undefined && typeof h.cwd === 'string' && h.cwd !== p.state.cwd && h.cwd.charCodeAt(0) === 47) p.state.cwd = h.cwd;
    const handler = EVENT_HANDLERS.get(raw.type);
    return handler !== undefined ? this[handler](p, raw) : this.onOtherFd(p, raw);
  }

  /** Any other event with an fd argument: the fd it is about. */
  private onOtherFd(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const n = num(raw.args.fd);
    return n !== undefined ? this.fdOf(p, n, raw) : undefined;
  }

  // ---- Process family: exec, birth, exit, session

  private onExec(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const a = raw.args;
    let fd: TrackedFd | undefined;
    if (!this.ok(raw)) {
      if (p.wrapper) p.lastExecError = String(raw.res);
      if (raw.type === 'execveat') fd = this.fdOf(p, num(a.dirfd), raw);
      return fd;
    }
    let exepath: string;
    let name: string;
    let fromMemfd = false;
    let written = false;
    if (raw.type === 'execveat') {
      const pathname = str(a.pathname) ?? '';
      const dirfd = num(a.dirfd);
      fd = dirfd !== undefined && dirfd !== -100 ? this.fdOf(p, dirfd, raw) : undefined;
      if (pathname === '' && fd !== undefined) {
        if (fd.type === 'memfd') { fromMemfd = true; exepath = `/${fd.name} (deleted)`; name = fd.name; }
        else { exepath = fd.name; name = basename(fd.name); written = this.written.has(fd.name); }
      } else {
        exepath = resolvePath(fd?.name ?? s.cwd, pathname);
        name = basename(exepath);
      }
    } else {
      const filename = str(a.filename) ?? '';
      exepath = resolvePath(s.cwd, filename);
      name = basename(filename);
      // Re-exec of itself (`/proc/self/exe`, how multi-call binaries and Go programs spawn
      // applets): the comm is `exe` (proc.name, as Falco) but the image is the same file.
      if (this.isOwnExeLink(p, exepath) && s.exepath !== '') exepath = s.exepath;
      const viaFd = this.procFdTarget(p, exepath);
      if (viaFd !== undefined) {
        fd = viaFd;
        if (viaFd.type === 'memfd') { fromMemfd = true; exepath = `/${viaFd.name} (deleted)`; }
        else { exepath = viaFd.name; written = this.written.has(viaFd.name); }
      }
    }
    if (!written) written = this.written.has(exepath);
    // The kernel keeps one thread after exec; close-on-exec fds go; a shared fd table is unshared.
    for (const tid of p.tids) if (tid !== p.leader) this.procs.delete(tid);
    p.tids = new Set([p.leader]);
    if (raw.tid !== p.leader) { this.procs.set(raw.tid, p); p.tids.add(raw.tid); }
    const map = new Map<number, TrackedFd>();
    for (const [k, f] of p.fds.map) if (!f.cloexec) map.set(k, p.fds.refs > 1 ? { ...f } : f);
    if (p.fds.refs > 1) { p.fds.refs--; p.fds = { map, refs: 1 }; } else p.fds.map = map;

    s.name = name.slice(0, 15);
    s.exepath = exepath;
    const args = raw.proc?.args;
    if (args !== undefined) { s.args = args; s.exe = raw.proc?.exe ?? args[0] ?? exepath; }
    else { s.args = [exepath]; s.exe = exepath; }
    if (raw.env !== undefined) s.env = raw.env;
    s.startTs = raw.ts;
    const ta = raw.truncatedArgs;
    const own = ta === undefined ? 0
      : (ta.includes('argv') ? T_CMD : 0) | (ta.includes('env') ? T_ENV : 0) | (ta.includes('filename') || ta.includes('pathname') ? T_EXE : 0);
    const keep = (s.truncated ?? 0) & ~T_OWN;
    if (own | keep) s.truncated = own | keep;
    else if (s.truncated !== undefined) delete s.truncated;
    s.exeWritten = written;
    s.exeFromMemfd = fromMemfd;
    if (s.exeDownload !== undefined) delete s.exeDownload;
    if (p.summary !== undefined) {
      const sm = p.summary;
      sm.name = s.name; sm.exe = s.exe; sm.exepath = exepath; sm.args = s.args;
      if (sm.execs.length < 8) sm.execs.push({ ts: raw.ts, exepath, args: s.args, fromMemfd, exeWritten: written });
    }
    if (p.wrapper) {
      p.wrapper = false;
      this.entrypoint.started = true;
      this.entrypoint.exe = exepath;
      this.entrypoint.args = s.args;
      if (s.vpid !== undefined) this.entrypoint.vpid = s.vpid;
      if (p.summary !== undefined) p.summary.execs = p.summary.execs.slice(-1);
    }
    return fd;
  }

  private onClone(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    const ts = raw.ts;
    const res = typeof raw.res === 'number' ? raw.res : -1;
    if (res <= 0) return undefined;
    const flags = String(h?.cloneFlags ?? a.flags ?? '');
    const childPid = num(h?.childPid);
    if (childPid !== undefined) this.createChild(p, childPid, flags, res, ts);
    else if (this.expected.length < 1024) this.expected.push({ parent: p, flags, vpid: res });
    return undefined;
  }

  private onExit(p: Proc, raw: RawEvent): undefined {
    const tid = raw.tid;
    const a = raw.args;
    const isLeader = tid === p.leader;
    if (isLeader || p.tids.size === 1) {
      const sm = p.summary;
      const code = num(a.ret);
      const sig = str(a.sig);
      if (sm !== undefined) {
        sm.exitTs = raw.ts;
        if (code !== undefined) sm.exitCode = code;
        if (sig !== undefined) { sm.signal = sig; sm.core = a.core === 1; }
      }
      if (p === this.entry) {
        this.entrypoint.exitTs = raw.ts;
        if (code !== undefined) this.entrypoint.exitCode = code;
        if (sig !== undefined) this.entrypoint.signal = sig;
        if (!this.entrypoint.started && p.lastExecError !== undefined) this.entrypoint.execError = p.lastExecError;
      }
    }
    p.tids.delete(tid);
    this.procs.delete(tid);
    if (p.tids.size === 0) {
      // Process gone: drop its fds (shared tables when the last user goes) and its map entries.
      p.fds.refs--;
      if (p.fds.refs <= 0) p.fds.map.clear();
      this.liveCount--;
    }
    return undefined;
  }

  private onSetsid(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    if (this.ok(raw)) { s.sid = raw.res as number; s.pgid = raw.res as number; }
    return undefined;
  }

  private onSetpgid(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const a = raw.args;
    if (this.ok(raw) && (num(a.pid) ?? 0) === 0) s.pgid = num(a.pgid) || (s.vpid ?? s.pid);
    return undefined;
  }

  // ---- Privilege: uid and gid changes

  private onSetuid(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const uid = num(a.uid) ?? num(a.euid);
    if (uid !== undefined && uid !== -1 && uid !== 4294967295) this.setUid(s, uid);
    return undefined;
  }

  private onSetgid(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const gid = num(a.gid) ?? num(a.egid);
    if (gid !== undefined && gid !== -1 && gid !== 4294967295) s.gid = gid;
    return undefined;
  }

  // ---- File descriptors: open, duplicate, close

  private onOpen(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const ts = raw.ts;
    const path = this.pathAt(p, raw, raw.type === 'open' || raw.type === 'creat' ? undefined : 'dirfd', 'name');
    const flags = a.flags;
    const type: FdType = raw.fd?.type === 'memfd' ? 'memfd' : hasFlag(flags, 'O_DIRECTORY') ? 'directory' : 'file';
    // A cut path argument: the probe's own annotation of the opened fd (strace -yy) is whole; else fd.name is a prefix.
    const cut = raw.truncatedArgs?.includes('name') === true;
    const annotated = cut && raw.fd !== undefined && raw.fd.type === 'file' && raw.fd.name.charCodeAt(0) === 47 ? raw.fd.name : undefined;
    const name = annotated ?? path ?? raw.fd?.name ?? '';
    const f: TrackedFd = {
      num: typeof raw.res === 'number' ? raw.res : raw.rawres, type, name, nameraw: str(a.name) ?? name,
      connected: false, isServer: false, nameChanged: false, cloexec: hasFlag(flags, 'O_CLOEXEC'),
    };
    if (cut && annotated === undefined) f.nameTruncated = true;
    if (!this.ok(raw)) return f; // failed open: fd.num < 0, not in the table
    this.setFd(p, f);
    if (isWriteOpen(flags) || raw.type === 'creat') {
      this.noteWrite(p, name, hasFlag(flags, 'O_CREAT') ? 'create' : hasFlag(flags, 'O_TRUNC') ? 'truncate' : 'write', ts);
      // strace's realpath of the opened file (symlinks resolved) counts for drift too.
      if (raw.fd !== undefined && raw.fd.type === 'file' && raw.fd.name !== name && this.written.size < this.maxWrites) this.written.add(raw.fd.name);
    }
    return f;
  }

  private onMemfdCreate(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const f: TrackedFd = {
      num: raw.res as number, type: 'memfd', name: `memfd:${str(a.name) ?? ''}`, nameraw: str(a.name) ?? '',
      connected: false, isServer: false, nameChanged: false, cloexec: hasFlag(a.flags, 'MFD_CLOEXEC'),
    };
    this.setFd(p, f);
    return f;
  }

  private onPipe(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const n1 = num(a.fd1);
    const n2 = num(a.fd2);
    const cloexec = hasFlag(a.flags, 'O_CLOEXEC');
    if (n1 !== undefined) this.setFd(p, { num: n1, type: 'pipe', name: String(h?.fd1Name ?? 'pipe'), nameraw: '', connected: false, isServer: false, nameChanged: false, cloexec });
    if (n2 !== undefined) this.setFd(p, { num: n2, type: 'pipe', name: String(h?.fd2Name ?? 'pipe'), nameraw: '', connected: false, isServer: false, nameChanged: false, cloexec });
    return n1 !== undefined ? p.fds.map.get(n1) : undefined;
  }

  private onDup(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const old = this.fdOf(p, num(a.oldfd), raw);
    if (!this.ok(raw)) return old;
    const n = raw.res as number;
    if (n === num(a.oldfd)) return old;
    const src = old ?? (raw.fd !== undefined ? this.fdFromEvent(raw.fd) : undefined);
    if (src === undefined) { p.fds.map.delete(n); return undefined; }
    const f: TrackedFd = { ...src, num: n, cloexec: hasFlag(a.flags, 'O_CLOEXEC') };
    this.setFd(p, f);
    return f;
  }

  private onFcntl(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    const f = this.fdOf(p, num(a.fd), raw);
    if (h?.dup === true && this.ok(raw) && f !== undefined) {
      const d: TrackedFd = { ...f, num: raw.res as number, cloexec: hasFlag(a.cmd, 'CLOEXEC') };
      this.setFd(p, d);
      return d;
    }
    if (f !== undefined && this.ok(raw) && a.cmd === 'F_SETFD') f.cloexec = true; // strace prints FD_CLOEXEC in the 3rd arg
    return f;
  }

  private onClose(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const n = num(a.fd);
    const f = this.fdOf(p, n, raw);
    if (n !== undefined && this.ok(raw)) p.fds.map.delete(n);
    return f;
  }

  private onCloseRange(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const first = num(a.first) ?? 0;
    const last = num(a.last) ?? 0xffffffff;
    const cloexecOnly = hasFlag(a.flags, 'CLOSE_RANGE_CLOEXEC');
    for (const [k, f] of p.fds.map) if (k >= first && k <= last) { if (cloexecOnly) f.cloexec = true; else p.fds.map.delete(k); }
    return undefined;
  }

  // ---- Network: sockets and their endpoints

  private onSocket(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    const type = raw.fd?.type ?? 'unknown';
    const f: TrackedFd = {
      num: raw.res as number, type, name: '', nameraw: '', connected: false, isServer: false, nameChanged: false,
      cloexec: hasFlag(a.type, 'SOCK_CLOEXEC'),
    };
    const l4 = h?.l4proto;
    if (l4 === 'tcp' || l4 === 'udp' || l4 === 'icmp' || l4 === 'raw') f.l4proto = l4;
    f.family = type === 'ipv4' ? 'ip' : type === 'ipv6' ? 'ip6' : type === 'unix' ? 'unix' : type === 'netlink' ? 'netlink' : type === 'packet' ? 'packet' : undefined;
    if (f.family === undefined) delete f.family;
    this.setFd(p, f);
    return f;
  }

  private onSocketpair(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    if (!this.ok(raw)) return undefined;
    for (const k of ['fd1', 'fd2']) {
      const n = num(a[k]);
      if (n !== undefined) this.setFd(p, { num: n, type: 'unix', name: '', nameraw: '', connected: true, isServer: false, nameChanged: false, cloexec: hasFlag(a.type, 'SOCK_CLOEXEC'), family: 'unix' });
    }
    return undefined;
  }

  private onConnect(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const f = this.fdOf(p, num(raw.args.fd), raw);
    const ip = str(h?.ip as string | undefined);
    const port = num(h?.port);
    const path = str(h?.path as string | undefined);
    if (f !== undefined) {
      if (ip !== undefined) this.setRemote(f, ip, port);
      else if (path !== undefined) { f.name = path; f.nameraw = path; }
      f.connected = raw.res === 0;
    }
    if (ip !== undefined || path !== undefined) this.noteNet(p, 'connect', f, raw, ip ?? path ?? '', port);
    return f;
  }

  private onBind(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    const f = this.fdOf(p, num(a.fd), raw);
    if (f === undefined) return undefined;
    const ip = str(h?.ip as string | undefined);
    const port = num(h?.port);
    if (this.ok(raw)) {
      if (ip !== undefined) { f.boundIp = ip; if (port !== undefined) f.boundPort = port; }
      const path = str(h?.path as string | undefined);
      if (path !== undefined) { f.name = path; f.nameraw = path; }
    }
    this.noteNet(p, 'bind', f, raw, ip ?? str(h?.path as string | undefined) ?? '', port);
    return f;
  }

  private onListen(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const f = this.fdOf(p, num(a.fd), raw);
    if (f === undefined) return undefined;
    if (this.ok(raw)) {
      f.isServer = true;
      if (f.boundIp !== undefined) {
        f.sip = f.boundIp;
        if (f.boundPort !== undefined) f.sport = f.boundPort;
        f.name = `${f.sip}:${f.sport ?? 0}`;
      }
    }
    this.noteNet(p, 'listen', f, raw, f.sip ?? f.name, f.sport);
    return f;
  }

  private onAccept(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    if (!this.ok(raw)) return this.fdOf(p, num(h?.listenFd), raw);
    const l = p.fds.map.get(num(h?.listenFd) ?? -1);
    const f: TrackedFd = {
      num: raw.res as number, type: l?.type ?? raw.fd?.type ?? 'unknown', name: '', nameraw: '', connected: true, isServer: true,
      nameChanged: false, cloexec: hasFlag(a.flags, 'SOCK_CLOEXEC'),
    };
    if (l?.l4proto !== undefined) f.l4proto = l.l4proto;
    if (l?.family !== undefined) f.family = l.family;
    if (l?.sip !== undefined) f.sip = l.sip;
    if (l?.sport !== undefined) f.sport = l.sport;
    const ip = str(h?.ip as string | undefined);
    const port = num(h?.port);
    if (ip !== undefined) f.cip = ip;
    if (port !== undefined) f.cport = port;
    if (f.type === 'unix') f.name = l?.name ?? '';
    else f.name = `${f.cip ?? (f.type === 'ipv6' ? '::' : '0.0.0.0')}:${f.cport ?? 0}->${f.sip ?? ''}:${f.sport ?? 0}`;
    f.nameraw = f.name;
    this.setFd(p, f);
    this.noteNet(p, 'accept', f, raw, f.cip ?? '', f.cport);
    return f;
  }

  private onSend(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const h = raw.hints;
    const a = raw.args;
    const ts = raw.ts;
    const f = this.fdOf(p, num(a.fd), raw);
    const ip = str(h?.ip as string | undefined);
    const path = str(h?.path as string | undefined);
    if (ip !== undefined || path !== undefined) {
      if (f !== undefined && ip !== undefined) this.setRemote(f, ip, num(h?.port));
      this.noteNet(p, raw.type as 'sendto' | 'sendmsg', f, raw, ip ?? path ?? '', num(h?.port));
    }
    if (f !== undefined && f.type === 'file' && this.ok(raw)) this.noteWrite(p, f.name, 'write', ts);
    return f;
  }

  // ---- File changes by fd or by path (what drift and file rules see)

  private onFdWrite(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const ts = raw.ts;
    const f = this.fdOf(p, num(a.fd), raw);
    if (f !== undefined && f.type === 'file' && this.ok(raw)) {
      this.noteWrite(p, f.name, raw.type === 'ftruncate' ? 'truncate' : raw.type === 'fchmod' ? 'chmod' : raw.type === 'fchown' ? 'chown' : 'write', ts);
    }
    return f;
  }

  private onCopyOut(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const a = raw.args;
    const ts = raw.ts;
    const key = raw.type === 'sendfile' ? 'out_fd' : raw.type === 'splice' ? 'fd_out' : 'fdout';
    const f = this.fdOf(p, num(a[key]), raw);
    if (f !== undefined && f.type === 'file' && this.ok(raw)) this.noteWrite(p, f.name, 'write', ts);
    return f;
  }

  /** unlink, chmod, chown, mkdir, mknod, truncate by path: the resolved path changed (PATH_CHANGE_OP). */
  private onPathChange(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const path = this.pathsOf(p, raw).name;
    if (path !== undefined && this.ok(raw)) this.noteWrite(p, path, PATH_CHANGE_OP[raw.type]!, raw.ts);
    return undefined;
  }

  private onRename(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const ts = raw.ts;
    const fp = this.pathsOf(p, raw);
    if (this.ok(raw)) {
      if (fp.source !== undefined) this.noteWrite(p, fp.source, 'rename-from', ts);
      if (fp.target !== undefined) this.noteWrite(p, fp.target, 'rename-to', ts);
    }
    return undefined;
  }

  private onLink(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const ts = raw.ts;
    // Falco orientation: the new link is fs.path.source.
    const path = this.pathsOf(p, raw).source;
    if (path !== undefined && this.ok(raw)) this.noteWrite(p, path, raw.type.startsWith('sym') ? 'symlink' : 'link', ts);
    return undefined;
  }

  private onPathOnly(p: Proc, raw: RawEvent): TrackedFd | undefined {
    this.pathsOf(p, raw);
    return undefined;
  }

  // ---- Working directory

  private onChdir(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const path = this.pathAt(p, raw, undefined, 'path');
    if (path !== undefined && this.ok(raw)) s.cwd = path;
    return undefined;
  }

  private onFchdir(p: Proc, raw: RawEvent): TrackedFd | undefined {
    const s = p.state;
    const a = raw.args;
    const f = this.fdOf(p, num(a.fd), raw);
    if (f !== undefined && this.ok(raw)) s.cwd = f.name;
    return f;
  }

  private setUid(s: ProcessState, uid: number): void {
    if (s.uid === 0 && uid !== 0) { s.capEffective = []; s.capPermitted = []; }
    s.uid = uid;
  }

  private setRemote(f: TrackedFd, ip: string, port: number | undefined): void {
    const before = f.name;
    f.sip = ip;
    if (port !== undefined) f.sport = port;
    if (f.boundIp !== undefined) f.cip = f.boundIp;
    if (f.boundPort !== undefined) f.cport = f.boundPort;
    const any = f.type === 'ipv6' ? '::' : '0.0.0.0';
    f.name = `${f.cip ?? any}:${f.cport ?? 0}->${ip}:${port ?? 0}`;
    f.nameraw = f.name;
    if (before !== '' && before !== f.name) { f.nameChanged = true; this.lastChanged = f; }
  }

  /** `/proc/self/exe`, `/proc/thread-self/exe` or `/proc/<own pid>/exe`. */
  private isOwnExeLink(p: Proc, path: string): boolean {
    if (!path.startsWith('/proc/') || !path.endsWith('/exe')) return false;
    const who = path.slice(6, -4);
    if (who === 'self' || who === 'thread-self') return true;
    if (!/^\d+$/.test(who)) return false;
    const n = Number(who);
    return n === p.state.vpid || n === p.leader;
  }

  /** `/proc/self/fd/N`, `/proc/<pid>/fd/N`, `/dev/fd/N` → that fd of the process. */
  private procFdTarget(p: Proc, path: string): TrackedFd | undefined {
    let rest: string | undefined;
    for (const pre of PROC_FD_PREFIXES) if (path.startsWith(pre)) { rest = path.slice(pre.length); break; }
    if (rest === undefined && path.startsWith('/proc/')) {
      const slash = path.indexOf('/fd/', 6);
      if (slash > 6) {
        const who = Number(path.slice(6, slash));
        if (who === p.state.vpid || who === p.leader) rest = path.slice(slash + 4);
      }
    }
    if (rest === undefined || rest === '' || !/^\d+$/.test(rest)) return undefined;
    return p.fds.map.get(Number(rest));
  }}
