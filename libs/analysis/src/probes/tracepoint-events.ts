/**
 * Shared core of the ftrace and `perf trace` parsers. On this kernel both see syscall tracepoints
 * (integer arguments and results only: pointers are not dereferenced) and the sched tracepoints
 * (`sched_process_fork`, `sched_process_exec` with the exec'd filename, `sched_process_exit`).
 * This builder turns those into the same RawEvents the strace parser emits (Falco argument names,
 * strace-style symbolic flags), so the state tracker and rules treat them alike; what the
 * tracepoints cannot carry (paths, socket addresses, argv, buffers) is simply absent and the probes
 * declare those fields unavailable.
 *
 * Input per syscall: `enter(tid, name, args)` then `exit(tid, name, ret)` (either may be missing
 * at the trace's edges). Numeric argument values only: each parser converts its own notation.
 */
import type { EventFd, EventSource, RawEvent } from '../events/event.js';
import { ERRNO } from './errno.js';
import type { ParserStats, RawEventSink } from './trace-parser.js';
import {
  atFlags, BPF_CMDS, cloneFlags, familyName, fcntlCmd, fdFlags, fileTypeMode, memfdFlags, mountFlags, nsFlags, octalMode, openFlags, PTRACE,
  renameFlags, signalName, socketProto, sockType,
} from './linux-constants.js';

export type NumArgs = Record<string, number>;

const ERRNO_NAME: Record<number, string> = {};
for (const [k, v] of Object.entries(ERRNO)) if (ERRNO_NAME[v] === undefined) ERRNO_NAME[v] = k;

const AT_EMPTY_PATH = 0x1000;

interface Pending { name: string; args: NumArgs; ts: number }

export class TracepointEventBuilder {
  private readonly pending = new Map<number, Pending>();
  /** child tid → parent tid, from sched_process_fork, until the child's first event. */
  private readonly forkParent = new Map<number, number>();
  /** parent tid → child tid, from sched_process_fork, until the parent's clone returns. */
  private readonly forkChild = new Map<number, number>();
  /** tid → filename from sched_process_exec, until the exec syscall returns. */
  private readonly execName = new Map<number, string>();
  /** tid → exit status from exit/exit_group, for the procexit. */
  private readonly exitCode = new Map<number, number>();
  /** tid → tgid when the probe reports it (ftrace record-tgid). */
  private readonly tgidOf = new Map<number, number>();
  private scope: Set<number> | undefined;

  constructor(
    private readonly source: EventSource,
    private readonly sink: RawEventSink,
    private readonly stats: ParserStats,
  ) {
    const d = stats.detail;
    d.syscalls = 0; d.forks = 0; d.execs = 0; d.exits = 0; d.unmatchedExits = 0; d.unfinishedAtEnd = 0;
  }

  noteTgid(tid: number, tgid: number): void {
    if (tgid > 0) this.tgidOf.set(tid, tgid);
  }

  enter(ts: number, tid: number, name: string, args: NumArgs): void {
    if (!this.inScope(tid)) return;
    // Attached before the release: the first call seen is the held wrapper's exec of the entrypoint.
    if (this.stats.detail.firstIsExec === undefined) this.stats.detail.firstIsExec = name === 'execve' || name === 'execveat' ? 1 : 0;
    if (this.pending.has(tid)) {
      // The previous call never returned (killed, or its exit was lost): flush it as interrupted.
      const p = this.pending.get(tid)!;
      this.complete(p.ts, tid, p.name, p.args, undefined, true);
    }
    this.pending.set(tid, { name, args, ts });
    if (name === 'exit_group' || name === 'exit') this.exitCode.set(tid, args.error_code ?? args.status ?? 0);
  }

  exit(ts: number, tid: number, name: string, ret: number | undefined): void {
    if (!this.inScope(tid)) return;
    const p = this.pending.get(tid);
    let args: NumArgs = {};
    let t = ts;
    if (p !== undefined && p.name === name) {
      this.pending.delete(tid);
      args = p.args;
      t = p.ts;
    } else if (name === 'clone' || name === 'clone3' || name === 'fork' || name === 'vfork') {
      // The child's return: not an event of its own (strace shows none either).
      if (ret === 0) return;
      this.stats.detail.unmatchedExits!++;
    } else {
      this.stats.detail.unmatchedExits!++;
      // The held wrapper resuming from its raise(SIGSTOP): proof the trace started before the release.
      if (name === 'tgkill' || name === 'kill' || name === 'tkill') { this.stats.detail.resumedHold = 1; return; }
    }
    this.complete(t, tid, name, args, ret, false);
  }

  fork(_ts: number, parent: number, child: number): void {
    if (!this.inScope(parent)) return;
    this.scope?.add(child);
    this.stats.detail.forks!++;
    this.forkParent.set(child, parent);
    this.forkChild.set(parent, child);
  }

  /**
   * Keeps only `root` and its descendants (perf scoped by cgroup also sees the container's init
   * and `docker exec` sessions; the tracker follows the held entrypoint's tree).
   */
  setRoot(root: number): void {
    this.scope = new Set([root]);
  }

  inScope(tid: number): boolean {
    if (this.scope === undefined || this.scope.has(tid)) return true;
    this.stats.detail.outOfScope = (this.stats.detail.outOfScope ?? 0) + 1;
    return false;
  }

  exec(_ts: number, tid: number, filename: string): void {
    if (!this.inScope(tid)) return;
    this.stats.detail.execs!++;
    this.execName.set(tid, filename);
  }

  procExit(ts: number, tid: number): void {
    if (!this.inScope(tid)) return;
    this.scope?.delete(tid);
    this.stats.detail.exits!++;
    const p = this.pending.get(tid);
    if (p !== undefined) {
      this.pending.delete(tid);
      if (p.name !== 'exit_group' && p.name !== 'exit') this.complete(p.ts, tid, p.name, p.args, undefined, true);
      else this.complete(p.ts, tid, p.name, p.args, undefined, false);
    }
    const ev: RawEvent = { ts, source: this.source, type: 'procexit', res: 0, rawres: 0, pid: tid, tid, args: {} };
    const code = this.exitCode.get(tid);
    if (code !== undefined) { ev.args.status = (code & 0xff) << 8; ev.args.ret = code & 0xff; }
    this.exitCode.delete(tid);
    this.forkChild.delete(tid);
    this.execName.delete(tid);
    this.tgidOf.delete(tid);
    this.emit(ev);
  }

  end(): void {
    for (const [tid, p] of this.pending) {
      this.stats.detail.unfinishedAtEnd!++;
      this.complete(p.ts, tid, p.name, p.args, undefined, true);
    }
    this.pending.clear();
  }

  private emit(ev: RawEvent): void {
    const parent = this.forkParent.get(ev.tid);
    if (parent !== undefined) {
      this.forkParent.delete(ev.tid);
      const h = ev.hints ?? (ev.hints = {});
      h.parentPid = parent;
      const ptg = this.tgidOf.get(parent);
      const ctg = this.tgidOf.get(ev.tid);
      h.cloneFlags = ptg !== undefined && ctg !== undefined && ptg === ctg ? 'CLONE_THREAD' : this.pendingCloneFlags(parent);
    }
    this.stats.events++;
    this.sink(ev);
  }

  private pendingCloneFlags(parent: number): string {
    const p = this.pending.get(parent);
    if (p === undefined) return 'SIGCHLD';
    if (p.name === 'clone' && p.args.clone_flags !== undefined) return cloneFlags(p.args.clone_flags);
    if (p.name === 'vfork') return 'CLONE_VM|CLONE_VFORK|SIGCHLD';
    return 'SIGCHLD';
  }

  private complete(ts: number, tid: number, name: string, a: NumArgs, ret: number | undefined, interrupted: boolean): void {
    this.stats.detail.syscalls!++;
    const ev: RawEvent = { ts, source: this.source, type: name, res: '?', rawres: 0, pid: tid, tid, args: {} };
    if (ret !== undefined) {
      if (ret < 0 && ret >= -4095) {
        ev.rawres = ret;
        ev.res = ERRNO_NAME[-ret] ?? `E${-ret}`;
      } else { ev.res = ret; ev.rawres = ret; }
    }
    if (interrupted) (ev.hints ??= {}).interrupted = true;
    const dec = DECODERS[name];
    if (dec !== undefined) dec(ev, a, this, tid);
    else if (a.fd !== undefined) ev.args.fd = a.fd;
    this.emit(ev);
  }

  /** For the exec decoders: the sched_process_exec filename of `tid`, taken once. */
  takeExecName(tid: number): string | undefined {
    const f = this.execName.get(tid);
    if (f !== undefined) this.execName.delete(tid);
    return f;
  }

  takeForkChild(tid: number): number | undefined {
    const c = this.forkChild.get(tid);
    if (c !== undefined) this.forkChild.delete(tid);
    return c;
  }
}

// ---------------------------------------------------------------------------------------------
// Numeric → strace-style symbolic values (the notation rules written against strace expect).

/** The shared decoders (linux-constants.ts), re-exported for the parsers' tests. */
export { cloneFlags, octalMode, openFlags, signalName, sockType };

/** 32-bit int arguments come zero-extended (`dfd: 0xffffff9c`): sign-extend them. */
export function int32(v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  return v >= 0x80000000 && v <= 0xffffffff ? v - 0x100000000 : v;
}

type Decoder = (ev: RawEvent, a: NumArgs, b: TracepointEventBuilder, tid: number) => void;

function set(ev: RawEvent, key: string, v: number | undefined): void {
  if (v !== undefined) ev.args[key] = v;
}

function ok(ev: RawEvent): boolean {
  return typeof ev.res === 'number' && ev.res >= 0;
}

function retFd(ev: RawEvent, type: EventFd['type'], name = ''): void {
  if (ok(ev)) ev.fd = { num: ev.res as number, type, name };
}

function socketFdType(domain: number): EventFd['type'] {
  return domain === 2 ? 'ipv4' : domain === 10 ? 'ipv6' : domain === 1 ? 'unix' : domain === 16 ? 'netlink' : domain === 17 ? 'packet' : 'unknown';
}

const openLike = (dirKey: string | undefined): Decoder => (ev, a) => {
  if (dirKey !== undefined) set(ev, 'dirfd', int32(a[dirKey]));
  if (a.flags !== undefined) ev.args.flags = openFlags(a.flags);
  else if (ev.type !== 'creat' && ev.type !== 'openat2') ev.args.flags = 'O_RDONLY';
  if (ev.type === 'creat') ev.args.flags = 'O_WRONLY|O_CREAT|O_TRUNC';
  if (a.mode !== undefined) ev.args.mode = octalMode(a.mode);
  retFd(ev, 'file');
  if (ev.fd !== undefined) {
    if (typeof ev.args.flags === 'string' && ev.args.flags.includes('O_DIRECTORY')) ev.fd.type = 'directory';
    ev.args.fd = ev.fd.num;
  }
};

const fdOnly = (key = 'fd'): Decoder => (ev, a) => { set(ev, key, int32(a.fd)); };
const sizeOf: Decoder = (ev, a) => { set(ev, 'fd', int32(a.fd)); if (typeof ev.res === 'number') ev.args.size = ev.res; };

const exec: Decoder = (ev, a, b, tid) => {
  const filename = ok(ev) || ev.res === '?' ? b.takeExecName(tid) : undefined;
  if (ev.type === 'execveat') {
    set(ev, 'dirfd', int32(a.fd ?? a.dfd));
    const flags = a.flags ?? 0;
    ev.args.flags = atFlags(flags);
    // With AT_EMPTY_PATH the kernel names the program "/dev/fd/N": the pathname argument was "".
    if (flags & AT_EMPTY_PATH) ev.args.pathname = '';
    else if (filename !== undefined) ev.args.pathname = filename;
  } else if (filename !== undefined) ev.args.filename = filename;
  if (filename !== undefined && ev.res === '?') { ev.res = 0; ev.rawres = 0; }
};

const clone: Decoder = (ev, a, b, tid) => {
  const flags = ev.type === 'fork' ? 'SIGCHLD' : ev.type === 'vfork' ? 'CLONE_VM|CLONE_VFORK|SIGCHLD'
    : a.clone_flags !== undefined ? cloneFlags(a.clone_flags) : '';
  ev.args.flags = flags;
  const h = ev.hints ?? (ev.hints = {});
  h.cloneFlags = flags;
  const child = b.takeForkChild(tid);
  if (child !== undefined) h.childPid = child;
  if (ok(ev) && (ev.res as number) > 0) h.childVpid = ev.res as number;
};

const DECODERS: Record<string, Decoder> = {
  open: openLike(undefined),
  creat: openLike(undefined),
  openat: openLike('dfd'),
  openat2: openLike('dfd'),
  memfd_create: (ev, a) => {
    ev.args.flags = memfdFlags(a.flags ?? 0);
    retFd(ev, 'memfd', 'memfd:');
    if (ev.fd !== undefined) ev.args.fd = ev.fd.num;
  },
  execve: exec,
  execveat: exec,
  clone, clone3: clone, fork: clone, vfork: clone,
  socket: (ev, a) => {
    const domain = a.family ?? 0;
    const type = a.type ?? 0;
    ev.args.domain = familyName(domain);
    ev.args.type = sockType(type);
    ev.args.proto = socketProto(domain, a.protocol ?? 0);
    if (domain === 2 || domain === 10) {
      const base = type & 0xf;
      const l4 = base === 1 ? 'tcp' : base === 2 ? 'udp' : base === 3 ? 'raw' : undefined;
      if (l4 !== undefined) (ev.hints ??= {}).l4proto = l4;
    }
    retFd(ev, socketFdType(domain));
  },
  connect: fdOnly(), bind: fdOnly(), listen: (ev, a) => { set(ev, 'fd', int32(a.fd)); set(ev, 'backlog', a.backlog); },
  accept: (ev, a) => { set(ev, 'listenfd', int32(a.fd)); (ev.hints ??= {}).listenFd = int32(a.fd) ?? -1; retFd(ev, 'unknown'); if (ev.fd) ev.args.fd = ev.fd.num; },
  accept4: (ev, a) => { set(ev, 'listenfd', int32(a.fd)); (ev.hints ??= {}).listenFd = int32(a.fd) ?? -1; retFd(ev, 'unknown'); if (ev.fd) ev.args.fd = ev.fd.num; },
  read: sizeOf, write: sizeOf, pread64: sizeOf, pwrite64: sizeOf, readv: sizeOf, writev: sizeOf, recvfrom: sizeOf, sendto: sizeOf,
  recvmsg: sizeOf, sendmsg: sizeOf,
  close: fdOnly(),
  dup: (ev, a) => { set(ev, 'oldfd', int32(a.fildes ?? a.oldfd)); },
  dup2: (ev, a) => { set(ev, 'oldfd', int32(a.oldfd ?? 0)); set(ev, 'newfd', int32(a.newfd ?? 0)); },
  dup3: (ev, a) => { set(ev, 'oldfd', int32(a.oldfd ?? 0)); set(ev, 'newfd', int32(a.newfd ?? 0)); ev.args.flags = fdFlags(a.flags ?? 0); },
  pipe2: (ev, a) => { ev.args.flags = fdFlags(a.flags ?? 0); },
  fcntl: (ev, a) => {
    set(ev, 'fd', int32(a.fd ?? 0));
    const cmd = a.cmd ?? 0;
    ev.args.cmd = fcntlCmd(cmd);
    if (cmd === 0 || cmd === 1030) (ev.hints ??= {}).dup = true;
  },
  chmod: (ev, a) => { ev.args.mode = octalMode(a.mode ?? 0); },
  fchmod: (ev, a) => { set(ev, 'fd', int32(a.fd ?? 0)); ev.args.mode = octalMode(a.mode ?? 0); },
  fchmodat: (ev, a) => { set(ev, 'dirfd', int32(a.dfd)); ev.args.mode = octalMode(a.mode ?? 0); },
  mkdir: (ev, a) => { ev.args.mode = octalMode(a.mode ?? 0); },
  mkdirat: (ev, a) => { set(ev, 'dirfd', int32(a.dfd)); ev.args.mode = octalMode(a.mode ?? 0); },
  mknod: (ev, a) => { ev.args.mode = fileTypeMode(a.mode ?? 0); },
  mknodat: (ev, a) => { set(ev, 'dirfd', int32(a.dfd)); ev.args.mode = fileTypeMode(a.mode ?? 0); },
  renameat2: (ev, a) => { set(ev, 'olddirfd', int32(a.olddfd)); set(ev, 'newdirfd', int32(a.newdfd)); ev.args.flags = renameFlags(a.flags ?? 0); },
  ptrace: (ev, a) => { const r = a.request ?? 0; ev.args.request = PTRACE[r] ?? String(r); set(ev, 'pid', a.pid); },
  unshare: (ev, a) => { ev.args.flags = nsFlags(a.unshare_flags ?? a.flags ?? 0); },
  setns: (ev, a) => { set(ev, 'fd', int32(a.fd ?? 0)); ev.args.nstype = nsFlags(a.flags ?? a.nstype ?? 0); },
  bpf: (ev, a) => { const c = a.cmd ?? 0; ev.args.cmd = BPF_CMDS[c] ?? String(c); },
  mount: (ev, a) => { if (a.flags !== undefined) ev.args.flags = mountFlags(a.flags); },
  finit_module: (ev, a) => { set(ev, 'fd', int32(a.fd ?? 0)); },
  setuid: (ev, a) => { set(ev, 'uid', int32(a.uid ?? 0)); },
  setgid: (ev, a) => { set(ev, 'gid', int32(a.gid ?? 0)); },
  setreuid: (ev, a) => { set(ev, 'ruid', int32(a.ruid ?? 0)); set(ev, 'euid', int32(a.euid ?? 0)); },
  setregid: (ev, a) => { set(ev, 'rgid', int32(a.rgid ?? 0)); set(ev, 'egid', int32(a.egid ?? 0)); },
  setresuid: (ev, a) => { set(ev, 'ruid', int32(a.ruid ?? 0)); set(ev, 'euid', int32(a.euid ?? 0)); set(ev, 'suid', int32(a.suid ?? 0)); },
  setresgid: (ev, a) => { set(ev, 'rgid', int32(a.rgid ?? 0)); set(ev, 'egid', int32(a.egid ?? 0)); set(ev, 'sgid', int32(a.sgid ?? 0)); },
  kill: (ev, a) => { set(ev, 'pid', int32(a.pid ?? 0)); ev.args.sig = signalName(a.sig ?? 0); },
  tkill: (ev, a) => { set(ev, 'pid', int32(a.pid ?? 0)); ev.args.sig = signalName(a.sig ?? 0); },
  tgkill: (ev, a) => { set(ev, 'pid', int32(a.tgid ?? 0)); set(ev, 'tid', int32(a.pid ?? 0)); ev.args.sig = signalName(a.sig ?? 0); },
  exit: (ev, a) => { ev.args.status = a.error_code ?? 0; },
  exit_group: (ev, a) => { ev.args.status = a.error_code ?? 0; },
  setpgid: (ev, a) => { set(ev, 'pid', a.pid ?? 0); set(ev, 'pgid', a.pgid ?? 0); },
  fchdir: fdOnly(),
  ftruncate: (ev, a) => { set(ev, 'fd', int32(a.fd ?? 0)); set(ev, 'length', a.length ?? 0); },
};

/**
 * Falco fields these probes cannot supply on a kernel whose syscall tracepoints carry pointers
 * only (no kprobes, no eprobes): anything derived from a path, a socket address, argv/env, the
 * cwd, a data buffer, or the set of files written (drift).
 */
export const TRACEPOINT_UNAVAILABLE_FIELDS: readonly string[] = [
  // paths of fds and of path-only syscalls
  'fd.name', 'fd.nameraw', 'fd.lure', 'fd.filename', 'fd.directory', 'fd.is_other_proc', 'fs.path.name', 'fs.path.source', 'fs.path.target',
  'evt.arg.name', 'evt.arg.path', 'evt.arg.filename', 'evt.arg.pathname', 'evt.arg.linkpath', 'evt.arg.newpath', 'evt.arg.oldpath',
  'evt.arg.target', 'evt.arg.dev', 'evt.arg.dir', 'evt.arg.type', 'evt.arg.data', 'evt.arg.uargs', 'evt.arg.addr', 'evt.arg.tuple',
  // socket addresses
  'fd.sip', 'fd.cip', 'fd.rip', 'fd.lip', 'fd.sport', 'fd.cport', 'fd.rport', 'fd.lport', 'fd.snet', 'fd.cnet', 'fd.rnet', 'fd.lnet',
  'fd.sip.name', 'fd.cip.name', 'fd.rip.name', 'fd.lip.name',
  // process identity beyond the exec'd filename
  'proc.args', 'proc.cmdline', 'proc.exeline', 'proc.env', 'proc.cwd', 'proc.pcmdline', 'proc.acmdline', 'proc.tty',
  // buffers and drift (needs the paths written)
  'evt.buffer', 'evt.arg.buffer', 'proc.is_exe_upper_layer',
  // downloads tied to execs (needs drift and the connects' addresses)
  'proc.is_exe_downloaded', 'proc.exe_download_url',
];
