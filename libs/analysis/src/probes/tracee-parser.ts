/**
 * Parser of Tracee JSON events (one per line) into RawEvents. Both documented shapes:
 *   - legacy `trace.Event` (types/trace/trace.go): `timestamp` (ns), `processId`/`threadId` (in the
 *     container's pid namespace), `hostProcessId`/`hostThreadId`/`hostParentProcessId`, `processName`,
 *     `eventName`, `returnValue`, `args: [{name, type, value}]`, signatures with `metadata`
 *     (`Description`, `Properties.Severity` 0–4, `signatureID`, `signatureName`, MITRE properties);
 *   - `v1beta1.Event` (api/v1beta1/event.proto, docs/docs/outputs/event-structure.md): `timestamp`
 *     (RFC 3339 string, or `{seconds, nanos}`), `id`, `name`, `workload.process` (`host_pid`, `pid`,
 *     `thread.host_tid`, `executable.path`, `ancestors`), `workload.container.id`, `data: [{name,
 *     str|int32|…|str_array|sockaddr|value}]`, detections with `threat` (`name`, `description`,
 *     `severity` INFO..CRITICAL as number or name, `mitre`, `properties`).
 * Syscall events keep their name and get Falco argument names (what the tracker and rules read);
 * `sched_process_exec` is the successful exec, `sched_process_fork` the fork with the child's host
 * pid, `sched_process_exit` the exit. A signature/detection becomes a `tracee_detection` event carrying
 * the probe-alert hints (`hints.alert`, …) that the pipeline turns into a finding.
 *
 * Written from Tracee's documented formats; the fixtures are written from those documents, not
 * captured (Tracee cannot run on this machine). See probes/README.md.
 */
import type { FdType, RawEvent } from '../events/event.js';
import { errnoName, isoToNs, type Json, type JsonObject, readSensorLine, SensorProcessTable, type SensorParent } from './sensor-events.js';
import { countUnparsed, emptyStats, type ParserStats, type RawEventSink, type TraceParser } from './trace-parser.js';
type ArgValue = string | number | string[] | JsonObject | undefined;

/** Tracee severities (legacy 0–4, v1beta1 INFO..CRITICAL) → our priorities. */
const SEVERITY: readonly string[] = ['informational', 'notice', 'warning', 'error', 'critical'];
const SEVERITY_NAMES: Readonly<Record<string, number>> = { INFO: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

export function traceeSeverityPriority(s: unknown): string {
  let n: number | undefined;
  if (typeof s === 'number') n = s;
  else if (typeof s === 'string') n = /^\d+$/.test(s) ? Number(s) : SEVERITY_NAMES[s.toUpperCase()];
  if (n === undefined || !Number.isInteger(n)) return 'warning';
  return SEVERITY[Math.max(0, Math.min(4, n))]!;
}

/** Tracee argument names → the Falco names the tracker reads, per syscall (unlisted names are kept). */
const RENAME: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  open: { pathname: 'name' },
  openat: { pathname: 'name' },
  openat2: { pathname: 'name' },
  creat: { pathname: 'name' },
  execve: { pathname: 'filename' },
  execveat: { dirfd: 'dirfd' },
  unlink: { pathname: 'path' },
  unlinkat: { pathname: 'name' },
  rmdir: { pathname: 'path' },
  chmod: { pathname: 'filename' },
  fchmodat: { pathname: 'filename' },
  mkdir: { pathname: 'path' },
  mkdirat: { pathname: 'path' },
  mknod: { pathname: 'path' },
  mknodat: { pathname: 'path' },
  symlinkat: { newdirfd: 'linkdirfd' },
  linkat: { olddirfd: 'olddir', newdirfd: 'newdir' },
  chown: { pathname: 'path', owner: 'uid', group: 'gid' },
  lchown: { pathname: 'path', owner: 'uid', group: 'gid' },
  fchown: { owner: 'uid', group: 'gid' },
  fchownat: { owner: 'uid', group: 'gid' },
  chdir: { filename: 'path' },
  chroot: { filename: 'path' },
  mount: { source: 'dev', target: 'dir', filesystemtype: 'type', mountflags: 'flags' },
  umount2: { target: 'name' },
  init_module: { len: 'length', param_values: 'uargs' },
  finit_module: { param_values: 'uargs' },
  memfd_create: {},
  socket: { protocol: 'proto' },
  connect: { sockfd: 'fd' },
  bind: { sockfd: 'fd' },
  listen: { sockfd: 'fd' },
  accept: { sockfd: 'listenfd', addr: 'tuple' },
  accept4: { sockfd: 'listenfd', addr: 'tuple' },
  sendto: { sockfd: 'fd', dest_addr: 'tuple', len: 'size' },
  sendmsg: { sockfd: 'fd' },
  write: { count: 'size' },
  dup2: {},
  dup3: {},
  kill: { sig: 'sig' },
  setns: {},
};

const OPEN_FLAGS: readonly [number, string][] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'],
  [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'], [0o2000000, 'O_CLOEXEC'], [0o20000000, 'O_PATH'],
];

/** Numeric open flags (Tracee without argument parsing) → `O_WRONLY|O_CREAT|…`. */
export function openFlagNames(n: number): string {
  const acc = n & 3;
  const out = [acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : 'O_RDONLY'];
  for (const [bit, name] of OPEN_FLAGS) if ((n & bit) !== 0) out.push(name);
  return out.join('|');
}

function socketFdType(domain: string): FdType {
  if (domain.includes('INET6')) return 'ipv6';
  if (domain.includes('INET')) return 'ipv4';
  if (domain.includes('UNIX') || domain.includes('LOCAL')) return 'unix';
  if (domain.includes('NETLINK')) return 'netlink';
  if (domain.includes('PACKET')) return 'packet';
  return 'unknown';
}

function num(v: Json | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'value' in v) return num(v.value);
  return undefined;
}

function obj(v: Json | undefined): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function strArray(v: Json | undefined): string[] | undefined {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  const o = obj(v);
  if (o && Array.isArray(o.value)) return o.value.filter((x): x is string => typeof x === 'string');
  return undefined;
}

/** One v1beta1 EventValue: `{name, str|int32|…}` or the plain `{name, value}`. */
function eventValue(d: JsonObject): ArgValue {
  for (const k in d) {
    if (k === 'name') continue;
    const v = d[k];
    if (k === 'str_array' || k === 'int32_array' || k === 'u_int64_array') return strArray(v) ?? (obj(v) && Array.isArray(obj(v)!.value) ? (obj(v)!.value as Json[]).map(String) : []);
    if (k === 'int64' || k === 'u_int64' || k === 'int32' || k === 'u_int32') return num(v);
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    if (obj(v)) return obj(v);
  }
  return undefined;
}

interface Common {
  ts: number;
  pid: number;
  tid: number;
  ppid?: number;
  name: string;
  exepath: string;
  uid?: number;
  event: string;
  ret: number;
  args: Map<string, ArgValue>;
  threat?: { name: string; description: string; priority: string; tags: string[]; id: string };
  parent?: SensorParent;
}

export class TraceeParser implements TraceParser {
  readonly source = 'tracee' as const;
  readonly stats: ParserStats = emptyStats();
  private readonly procs: SensorProcessTable;
  /** execve/execveat seen at syscall entry, waiting for sched_process_exec (by host tid). */
  private readonly pendingExec = new Map<number, RawEvent>();
  private sawSchedExec = false;
  private sawSchedFork = false;
  private lastTs = 0;

  constructor(private readonly sink: RawEventSink) {
    this.procs = new SensorProcessTable('tracee', sink, this.stats);
    const d = this.stats.detail;
    d.legacy = 0; d.v1beta1 = 0; d.detections = 0; d.outOfOrder = 0; d.cloneSyscallsSkipped = 0; d.headerLines = 0;
  }

  write(line: string): void {
    const e = readSensorLine(line, this.stats, this.procs);
    if (e === undefined) return;
    const c = typeof e.eventName === 'string' ? this.legacy(e) : typeof e.name === 'string' && (obj(e.workload) || Array.isArray(e.data) || obj(e.threat)) ? this.v1beta1(e) : undefined;
    if (!c) return this.unparsed(line);
    if (c.ts < this.lastTs) this.stats.detail.outOfOrder!++;
    else this.lastTs = c.ts;
    this.event(c);
  }

  end(): void {
    for (const ev of this.pendingExec.values()) this.flushExec(ev);
    this.pendingExec.clear();
  }

  private unparsed(line: string): void {
    countUnparsed(this.stats, line);
  }

  private legacy(e: JsonObject): Common | undefined {
    this.stats.detail.legacy!++;
    const ts = num(e.timestamp);
    const pid = num(e.hostProcessId) ?? num(e.processId);
    if (ts === undefined || pid === undefined) return undefined;
    const args = new Map<string, ArgValue>();
    if (Array.isArray(e.args)) {
      for (const a of e.args) {
        const ao = obj(a);
        if (!ao || typeof ao.name !== 'string') continue;
        const v = ao.value;
        args.set(ao.name, Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : typeof v === 'boolean' ? (v ? 1 : 0) : v === null ? undefined : (v as ArgValue));
      }
    }
    const c: Common = {
      ts, pid, tid: num(e.hostThreadId) ?? num(e.threadId) ?? pid,
      name: typeof e.processName === 'string' ? e.processName : '',
      exepath: typeof obj(e.executable)?.path === 'string' ? (obj(e.executable)!.path as string) : '',
      event: e.eventName as string, ret: num(e.returnValue) ?? 0, args,
    };
    const ppid = num(e.hostParentProcessId) ?? num(e.parentProcessId);
    if (ppid !== undefined) c.ppid = ppid;
    const uid = num(e.userId);
    if (uid !== undefined) c.uid = uid;
    const md = obj(e.metadata);
    if (md) {
      const props = obj(md.Properties) ?? {};
      const tags: string[] = Array.isArray(md.Tags) ? md.Tags.filter((t): t is string => typeof t === 'string') : [];
      for (const k of ['external_id', 'Category', 'Technique']) if (typeof props[k] === 'string' && props[k] !== '') tags.push(String(props[k]));
      const name = typeof props.signatureName === 'string' ? props.signatureName : (e.eventName as string);
      c.threat = {
        name, id: typeof props.signatureID === 'string' ? props.signatureID : '',
        description: typeof md.Description === 'string' ? md.Description : name,
        priority: traceeSeverityPriority(props.Severity), tags,
      };
    }
    return c;
  }

  private v1beta1(e: JsonObject): Common | undefined {
    this.stats.detail.v1beta1!++;
    let ts: number | undefined;
    if (typeof e.timestamp === 'string') ts = isoToNs(e.timestamp);
    else if (obj(e.timestamp)) ts = (num(obj(e.timestamp)!.seconds) ?? 0) * 1e9 + (num(obj(e.timestamp)!.nanos) ?? 0);
    else ts = num(e.timestamp);
    const proc = obj(obj(e.workload)?.process) ?? {};
    const thread = obj(proc.thread) ?? {};
    const pid = num(proc.host_pid) ?? num(proc.pid);
    if (ts === undefined || Number.isNaN(ts) || pid === undefined) return undefined;
    const args = new Map<string, ArgValue>();
    const data = Array.isArray(e.data) ? e.data : Array.isArray(obj(e.detected_from)?.data) ? (obj(e.detected_from)!.data as Json[]) : [];
    for (const d of data) {
      const dobj = obj(d);
      if (dobj && typeof dobj.name === 'string') args.set(dobj.name, eventValue(dobj));
    }
    const c: Common = {
      ts, pid, tid: num(thread.host_tid) ?? num(thread.tid) ?? pid,
      name: typeof thread.name === 'string' ? thread.name : '',
      exepath: typeof obj(proc.executable)?.path === 'string' ? (obj(proc.executable)!.path as string) : '',
      // Syscall events carry their return value as a `returnValue` data entry (int64, a JSON string).
      event: e.name as string, ret: num(args.get('returnValue') as Json) ?? 0, args,
    };
    args.delete('returnValue');
    const anc = Array.isArray(proc.ancestors) ? obj(proc.ancestors[0]) : undefined;
    const ppid = anc ? num(anc.host_pid) ?? num(anc.pid) : undefined;
    if (ppid !== undefined) c.ppid = ppid;
    if (anc) {
      const pexe = typeof obj(anc.executable)?.path === 'string' ? (obj(anc.executable)!.path as string) : '';
      const pname = typeof obj(anc.thread)?.name === 'string' ? (obj(anc.thread)!.name as string) : '';
      if (pexe !== '' || pname !== '') c.parent = { name: pname, exepath: pexe, args: [] };
    }
    const uid = num(obj(proc.real_user)?.id);
    if (uid !== undefined) c.uid = uid;
    const t = obj(e.threat);
    if (t) {
      const props = obj(t.properties) ?? {};
      const mitre = obj(t.mitre);
      const tags: string[] = [];
      const tech = obj(mitre?.technique);
      if (typeof tech?.id === 'string' && tech.id !== '') tags.push(tech.id);
      if (typeof tech?.name === 'string' && tech.name !== '') tags.push(tech.name);
      const tactic = obj(mitre?.tactic);
      if (typeof tactic?.name === 'string' && tactic.name !== '') tags.push(tactic.name);
      const name = typeof t.name === 'string' && t.name !== '' ? t.name : (e.name as string);
      c.threat = {
        name, id: typeof props.signatureID === 'string' ? props.signatureID : typeof props.id === 'string' ? props.id : '',
        description: typeof t.description === 'string' && t.description !== '' ? t.description : name,
        priority: traceeSeverityPriority(t.severity ?? props.Severity), tags,
      };
    }
    return c;
  }

  private base(c: Common, type: string): RawEvent {
    const ev: RawEvent = { ts: c.ts, source: 'tracee', type, res: c.ret, rawres: c.ret, pid: c.pid, tid: c.tid, args: {} };
    if (c.ret < 0) ev.res = errnoName(c.ret) ?? c.ret;
    return ev;
  }

  private emit(ev: RawEvent): void {
    this.stats.events++;
    this.sink(ev);
  }

  private flushExec(ev: RawEvent): void {
    // An exec entry with no sched_process_exec after it, in a trace that reports them, failed.
    if (this.sawSchedExec && typeof ev.res === 'number' && ev.res >= 0) { ev.res = '?'; ev.rawres = -1; }
    if (typeof ev.res === 'number' && ev.res >= 0) this.procs.execed(ev.pid, String(ev.args.filename ?? ev.args.pathname ?? ''), '', ev.proc?.args ?? []);
    this.emit(ev);
  }

  private event(c: Common): void {
    const pending = this.pendingExec.get(c.tid);
    if (pending !== undefined && c.event !== 'sched_process_exec') {
      this.pendingExec.delete(c.tid);
      this.flushExec(pending);
    }
    if (c.threat) return this.detection(c);
    switch (c.event) {
      case 'sched_process_exec': return this.schedExec(c, pending);
      case 'execve': case 'execveat': return this.execEntry(c);
      case 'sched_process_fork': return this.fork(c);
      case 'sched_process_exit': return this.exit(c);
      case 'clone': case 'clone3': case 'fork': case 'vfork':
        if (this.sawSchedFork) { this.stats.detail.cloneSyscallsSkipped!++; return; }
        break;
      default: break;
    }
    const ev = this.base(c, c.event);
    this.syscallArgs(ev, c);
    this.procs.ensure({ pid: c.pid, tid: c.tid, ...(c.ppid !== undefined ? { ppid: c.ppid } : {}), name: c.name, exepath: c.exepath, args: [] }, c.ts, ev, c.parent);
    this.emit(ev);
  }

  private ensureUnnamed(c: Common, ev: RawEvent): void {
    this.procs.ensure({ pid: c.pid, tid: c.tid, ...(c.ppid !== undefined ? { ppid: c.ppid } : {}), name: '', exepath: '', args: [] }, c.ts, ev, c.parent);
  }

  private execEntry(c: Common): void {
    const ev = this.base(c, c.event);
    this.syscallArgs(ev, c);
    const argv = c.args.get('argv');
    const filename = String(ev.args.filename ?? ev.args.pathname ?? '');
    const args = Array.isArray(argv) ? argv : [filename];
    ev.proc = { args, exe: args[0] ?? filename };
    ev.args.args = args.slice(1).join(' ');
    delete ev.args.argv;
    delete ev.args.envp;
    const envp = c.args.get('envp');
    if (Array.isArray(envp)) ev.env = envp;
    this.ensureUnnamed(c, ev);
    if (c.ret < 0) { this.emit(ev); return; }
    this.pendingExec.set(c.tid, ev);
  }

  private schedExec(c: Common, pending: RawEvent | undefined): void {
    this.sawSchedExec = true;
    this.pendingExec.delete(c.tid);
    const pathname = String(c.args.get('pathname') ?? c.args.get('cmdpath') ?? c.exepath);
    const argv = c.args.get('argv');
    const args = Array.isArray(argv) ? argv : pending?.proc?.args ?? [pathname];
    const ev: RawEvent = pending ?? this.base(c, 'execve');
    ev.ts = c.ts;
    ev.res = 0;
    ev.rawres = 0;
    if (ev.type === 'execveat') { if (ev.args.pathname === undefined) ev.args.pathname = pathname; }
    else ev.args.filename = pending !== undefined && typeof ev.args.filename === 'string' && ev.args.filename !== '' ? ev.args.filename : pathname;
    ev.proc = { args, exe: args[0] ?? pathname };
    ev.args.args = args.slice(1).join(' ');
    ev.args.exepath = pathname;
    const envp = c.args.get('env') ?? c.args.get('envp');
    if (Array.isArray(envp)) ev.env = envp;
    if (pending === undefined) this.ensureUnnamed(c, ev);
    this.procs.execed(c.pid, pathname, c.name, args);
    this.emit(ev);
  }

  private fork(c: Common): void {
    this.sawSchedFork = true;
    const childTid = num(c.args.get('child_tid') as Json) ?? num(c.args.get('child_pid') as Json);
    const childPid = num(c.args.get('child_pid') as Json) ?? childTid;
    const childVpid = num(c.args.get('child_ns_tid') as Json) ?? num(c.args.get('child_ns_pid') as Json) ?? childTid;
    // The event's process context is the parent's (parent_* args when present).
    const pid = num(c.args.get('parent_pid') as Json) ?? c.pid;
    const tid = num(c.args.get('parent_tid') as Json) ?? c.tid;
    const ev = this.base({ ...c, pid, tid, ret: childVpid ?? 0 }, 'clone');
    const thread = childTid !== undefined && childPid !== undefined && childTid !== childPid;
    const flags = thread ? 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD' : 'SIGCHLD';
    ev.args.flags = flags;
    (ev.hints ??= {}).cloneFlags = flags;
    if (childTid !== undefined) ev.hints.childPid = childTid;
    if (childVpid !== undefined) ev.hints.childVpid = childVpid;
    this.procs.ensure({ pid, tid, ...(c.ppid !== undefined && pid === c.pid ? { ppid: c.ppid } : {}), name: c.name, exepath: c.exepath, args: [] }, c.ts, ev, c.parent);
    this.emit(ev);
    if (childPid !== undefined && !thread) this.procs.forked(childPid, pid);
  }

  private exit(c: Common): void {
    const ev = this.base(c, 'procexit');
    ev.res = 0;
    ev.rawres = 0;
    const code = num(c.args.get('exit_code') as Json);
    if (code !== undefined) {
      // Tracee reports the exit code (already shifted) for normal exits.
      ev.args.status = code << 8;
      ev.args.ret = code;
    }
    this.procs.ensure({ pid: c.pid, tid: c.tid, ...(c.ppid !== undefined ? { ppid: c.ppid } : {}), name: c.name, exepath: c.exepath, args: [] }, c.ts, ev, c.parent);
    this.emit(ev);
    this.procs.exited(c.pid, c.tid);
  }

  private detection(c: Common): void {
    this.stats.detail.detections!++;
    const t = c.threat!;
    const ev = this.base(c, 'tracee_detection');
    ev.res = 0;
    ev.rawres = 0;
    ev.args.signature = t.id || t.name;
    ev.args.description = t.description;
    for (const [k, v] of c.args) if (typeof v === 'string' || typeof v === 'number') ev.args[k] = v;
    this.procs.ensure({ pid: c.pid, tid: c.tid, ...(c.ppid !== undefined ? { ppid: c.ppid } : {}), name: c.name, exepath: c.exepath, args: [] }, c.ts, ev, c.parent);
    const h = (ev.hints ??= {});
    h.alert = t.name;
    h.alertPriority = t.priority;
    h.alertTags = t.tags.join(',');
    h.alertOutput = `${t.description}${t.id ? ` (${t.id})` : ''} process=${c.name} pid=${c.pid}`;
    h.alertSource = 'tracee';
    this.emit(ev);
  }

  /** Copies scalar arguments under Falco names and decodes fds, paths and socket addresses. */
  private syscallArgs(ev: RawEvent, c: Common): void {
    const rename = RENAME[c.event];
    for (const [k, v] of c.args) {
      const key = rename?.[k] ?? k;
      if (typeof v === 'string' || typeof v === 'number') ev.args[key] = v;
      else if (Array.isArray(v) && key !== 'argv' && key !== 'envp') ev.args[key] = v.join(' ');
    }
    const ok = typeof ev.res === 'number' && ev.res >= 0;
    switch (c.event) {
      case 'open': case 'openat': case 'openat2': case 'creat': {
        if (typeof ev.args.flags === 'number') ev.args.flags = openFlagNames(ev.args.flags);
        if (c.event === 'creat') ev.args.flags = 'O_WRONLY|O_CREAT|O_TRUNC';
        const path = typeof ev.args.name === 'string' ? ev.args.name : '';
        if (ok) { ev.args.fd = ev.res; ev.fd = { num: ev.res as number, type: 'file', name: path }; }
        break;
      }
      case 'memfd_create':
        if (ok) ev.fd = { num: ev.res as number, type: 'memfd', name: `memfd:${String(ev.args.name ?? '')}` };
        break;
      case 'socket': {
        const domain = String(ev.args.domain ?? '');
        const type = String(ev.args.type ?? '');
        const ft = socketFdType(domain);
        if (ft === 'ipv4' || ft === 'ipv6') {
          const l4 = String(ev.args.proto ?? '').includes('ICMP') ? 'icmp' : type.includes('STREAM') ? 'tcp' : type.includes('DGRAM') ? 'udp' : type.includes('RAW') ? 'raw' : undefined;
          if (l4 !== undefined) (ev.hints ??= {}).l4proto = l4;
        }
        if (ok) ev.fd = { num: ev.res as number, type: ft, name: '' };
        break;
      }
      case 'connect': case 'bind': case 'sendto': case 'accept': case 'accept4': {
        const key = c.event === 'connect' || c.event === 'bind' ? 'addr' : c.event === 'sendto' ? 'dest_addr' : 'addr';
        const sa = c.args.get(key);
        const so = sa !== undefined && typeof sa === 'object' && !Array.isArray(sa) ? sa : undefined;
        if (so) this.sockaddr(ev, so, c.event === 'accept' || c.event === 'accept4' || c.event === 'sendto' ? 'tuple' : 'addr');
        if (c.event === 'accept' || c.event === 'accept4') {
          const l = num(ev.args.listenfd as Json);
          if (l !== undefined) (ev.hints ??= {}).listenFd = l;
          if (ok) ev.args.fd = ev.res;
        }
        break;
      }
      default: break;
    }
  }

  private sockaddr(ev: RawEvent, sa: JsonObject, key: string): void {
    const family = typeof sa.sa_family === 'string' ? sa.sa_family : '';
    const h = (ev.hints ??= {});
    if (family !== '') h.family = family;
    const ip = typeof sa.sin_addr === 'string' ? sa.sin_addr : typeof sa.sin6_addr === 'string' ? sa.sin6_addr : undefined;
    const port = num(sa.sin_port) ?? num(sa.sin6_port);
    const path = typeof sa.sun_path === 'string' ? sa.sun_path : undefined;
    if (ip !== undefined) {
      h.ip = ip;
      if (port !== undefined) h.port = port;
      ev.args[key] = `${ip}:${port ?? 0}`;
    } else if (path !== undefined) {
      h.path = path;
      ev.args[key] = path;
    } else delete ev.args[key];
  }
}

/** Creates a Tracee event parser (factory shape for `parseStream` / `parseText` / the parser registry). */
export function createTraceeParser(sink: RawEventSink): TraceeParser {
  return new TraceeParser(sink);
}
