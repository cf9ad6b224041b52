/**
 * Default Falco field registry over EvalContext.
 *
 * Every field reads what the state tracker put in the context (event, process with parent
 * chain, fd, sandbox metadata). Fields that differ from Falco carry an `approximation` note;
 * `describeFields()` lists them for documentation and reports.
 */
import type { EvalContext, FdState, FsPaths, ProcessState } from '../state/context.js';
import type { FdType, NormalizedEvent } from '../events/event.js';
import { AT_FDCWD, FS_PATH_SPECS, resolveFsPaths } from '../state/fs-path.js';
import { normalizePath, resolvePath } from '../state/path.js';
import { appletOf } from '../state/applet.js';
import type { FieldDef, FieldRegistry, FieldType, FieldValue } from './field.js';
import { compileGlob } from './matchers.js';
import { networkFields } from './network-fields.js';
import { staticFields } from './static-fields.js';

type Getter = (ctx: EvalContext) => FieldValue;

interface DefOpts {
  arg?: 'required' | 'optional';
  multi?: boolean;
  approximation?: string;
  desc?: string;
  bind?: (arg?: string) => Getter;
}

function def(name: string, type: FieldType, extract: (ctx: EvalContext, arg?: string) => FieldValue, opts: DefOpts = {}): FieldDef {
  const d: FieldDef = { name, type, extract };
  if (opts.arg) d.arg = opts.arg;
  if (opts.multi) d.multi = true;
  if (opts.approximation) d.approximation = opts.approximation;
  if (opts.desc) d.desc = opts.desc;
  if (opts.bind) d.bind = opts.bind;
  return d;
}

/** Simple field without argument: extract and bind share one getter. */
function simple(name: string, type: FieldType, get: Getter, opts: Omit<DefOpts, 'bind' | 'arg'> = {}): FieldDef {
  return def(name, type, (ctx) => get(ctx), {
    ...opts,
    bind: (arg) => {
      if (arg !== undefined) throw new Error(`field '${name}' does not take an argument`);
      return get;
    },
  });
}

/** Field with an argument; `binder` validates and specialises once. */
function witharg(name: string, type: FieldType, argMode: 'required' | 'optional', binder: (arg?: string) => Getter, opts: Omit<DefOpts, 'bind' | 'arg'> = {}): FieldDef {
  return def(name, type, (ctx, arg) => binder(arg)(ctx), {
    ...opts,
    arg: argMode,
    bind: (arg) => {
      if (argMode === 'required' && (arg === undefined || arg === '')) throw new Error(`field '${name}' requires an argument`);
      return binder(arg);
    },
  });
}

function parseIndex(name: string, arg: string): number {
  if (!/^\d+$/.test(arg)) throw new Error(`field '${name}' needs a numeric argument, got '${arg}'`);
  return Number(arg);
}

// ------------------------------------------------------------------ helpers

function ancestor(p: ProcessState | undefined, n: number): ProcessState | undefined {
  let q = p;
  for (let i = 0; i < n && q; i++) q = q.parent;
  return q;
}

/** Ancestors from the parent up (Falco's "any ancestor" semantics excludes the process itself). */
function ancestorValues<T>(p: ProcessState, pick: (q: ProcessState) => T): T[] {
  const out: T[] = [];
  let q = p.parent;
  let guard = 0;
  while (q && guard++ < 4096) {
    out.push(pick(q));
    q = q.parent;
  }
  return out;
}

let lastCmdArgs: string[] | undefined;
let lastCmdName: string | undefined;
let lastCmdline = '';
/** Per argv array (a process keeps its array until its next exec): the name it was built with and the line. */
const cmdlines = new WeakMap<string[], { name: string; line: string }>();
/** Falco proc.cmdline: name followed by argv[1..]. Memoised on the args array (one entry, then per process). */
function cmdline(p: ProcessState): string {
  if (p.args === lastCmdArgs && p.name === lastCmdName) return lastCmdline;
  let m = cmdlines.get(p.args);
  if (m === undefined || m.name !== p.name) {
    m = { name: p.name, line: p.args.length > 1 ? p.name + ' ' + p.args.slice(1).join(' ') : p.name };
    cmdlines.set(p.args, m);
  }
  lastCmdArgs = p.args;
  lastCmdName = p.name;
  lastCmdline = m.line;
  return m.line;
}

let lastArgsArr: string[] | undefined;
let lastArgsStr = '';
const argLines = new WeakMap<string[], string>();
/** Falco proc.args: argv[1..] joined. Memoised on the args array (one entry, then per process). */
function procArgs(p: ProcessState): string {
  if (p.args === lastArgsArr) return lastArgsStr;
  let line = argLines.get(p.args);
  if (line === undefined) {
    line = p.args.length > 1 ? p.args.slice(1).join(' ') : '';
    argLines.set(p.args, line);
  }
  lastArgsArr = p.args;
  lastArgsStr = line;
  return line;
}

let lastCapArr: string[] | undefined;
let lastCapStr = '';
function capString(caps: string[]): string {
  if (caps === lastCapArr) return lastCapStr;
  lastCapArr = caps;
  lastCapStr = caps.join(' ');
  return lastCapStr;
}

let lastEnvArr: string[] | undefined;
let lastEnvStr = '';
// One-entry cache, as for cmdline: the rules of one event ask for the same process's applet.
let lastAppletArgs: string[] | undefined;
let lastAppletName = '';
let lastAppletExe = '';
let lastApplet = '';
function applet(p: ProcessState): string {
  if (p.args === lastAppletArgs && p.name === lastAppletName && p.exepath === lastAppletExe) return lastApplet;
  lastAppletArgs = p.args;
  lastAppletName = p.name;
  lastAppletExe = p.exepath;
  lastApplet = appletOf(p);
  return lastApplet;
}

function envString(env: string[]): string {
  if (env === lastEnvArr) return lastEnvStr;
  lastEnvArr = env;
  lastEnvStr = env.join(' ');
  return lastEnvStr;
}

// fd.filename and fd.directory: a one-entry cache (most open rules ask on the same event), then a
// bounded map (the same paths come back event after event: shared libraries, configs, /proc files);
// cleared when full, and only short paths are kept, so a hostile trace cannot grow it.
const PATH_CACHE_MAX = 4096;
const PATH_CACHE_CHARS = 512;
let lastBaseIn: string | undefined;
let lastBaseOut = '';
const baseCache = new Map<string, string>();
function fdBasename(n: string): string {
  if (n === lastBaseIn) return lastBaseOut;
  let b = baseCache.get(n);
  if (b === undefined) {
    b = basename(n);
    if (n.length <= PATH_CACHE_CHARS) {
      if (baseCache.size >= PATH_CACHE_MAX) baseCache.clear();
      baseCache.set(n, b);
    }
  }
  lastBaseIn = n;
  lastBaseOut = b;
  return b;
}

function basename(p: string): string {
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

let lastDirIn: string | undefined;
let lastDirOut = '';
const dirCache = new Map<string, string>();
function dirname(p: string): string {
  if (p === lastDirIn) return lastDirOut;
  let d = dirCache.get(p);
  if (d === undefined) {
    d = dirnameUncached(p);
    if (p.length <= PATH_CACHE_CHARS) {
      if (dirCache.size >= PATH_CACHE_MAX) dirCache.clear();
      dirCache.set(p, d);
    }
  }
  lastDirIn = p;
  lastDirOut = d;
  return d;
}
function dirnameUncached(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return p.slice(0, i);
}

const OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'creat', 'open_by_handle_at']);
const PATH_ARG_NAMES = ['name', 'pathname', 'path', 'filename'];

function openPathArg(ctx: EvalContext): string | undefined {
  const a = ctx.event.args;
  for (const k of PATH_ARG_NAMES) {
    const v = a[k];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * The fd the event refers to: the tracker's FdState, else the event's own fd. For an open
 * that failed there is no fd; like Falco we then answer from the path argument with num -1.
 */
function isFailedOpen(ctx: EvalContext): boolean {
  return ctx.fd === undefined && ctx.event.fd === undefined && OPEN_TYPES.has(ctx.event.type);
}

function fdName(ctx: EvalContext): string | undefined {
  const f = ctx.fd;
  if (f) return f.name;
  const ef = ctx.event.fd;
  if (ef) return ef.name;
  return isFailedOpen(ctx) ? openPathArg(ctx) : undefined;
}

function fdType(ctx: EvalContext): FdType | undefined {
  const f = ctx.fd ?? ctx.event.fd;
  if (f) return f.type;
  return isFailedOpen(ctx) ? 'file' : undefined;
}

const TYPECHAR: Record<FdType, string> = {
  file: 'f',
  directory: 'd',
  ipv4: '4',
  ipv6: '6',
  unix: 'u',
  netlink: 'n',
  packet: 'k',
  memfd: 'm',
  pipe: 'p',
  event: 'e',
  signalfd: 's',
  timerfd: 't',
  inotify: 'i',
  bpf: 'b',
  unknown: 'o',
};
/** The same as a Map: one lookup per event on the hot path (a keyed load on the record goes megamorphic). */
const TYPECHAR_OF = new Map<FdType | string, string>(Object.entries(TYPECHAR));

const SOCKET_TYPES = new Set<FdType>(['ipv4', 'ipv6', 'unix', 'netlink', 'packet']);
const IP_TYPES = new Set<FdType>(['ipv4', 'ipv6']);

interface Endpoints {
  cip?: string;
  cport?: number;
  sip?: string;
  sport?: number;
}

let lastEpName: string | undefined;
let lastEp: Endpoints = {};
/** Parse `cip:cport->sip:sport` (IPv6 addresses may be bracketed). */
function parseEndpoints(name: string): Endpoints {
  if (name === lastEpName) return lastEp;
  lastEpName = name;
  const arrow = name.indexOf('->');
  const side = (s: string): [string | undefined, number | undefined] => {
    const i = s.lastIndexOf(':');
    if (i < 0) return [undefined, undefined];
    let ip = s.slice(0, i);
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    const port = Number(s.slice(i + 1));
    return [ip || undefined, Number.isFinite(port) ? port : undefined];
  };
  if (arrow < 0) {
    const [ip, port] = side(name);
    lastEp = { sip: ip, sport: port };
  } else {
    const [cip, cport] = side(name.slice(0, arrow));
    const [sip, sport] = side(name.slice(arrow + 2));
    lastEp = { cip, cport, sip, sport };
  }
  return lastEp;
}

function ipFd(ctx: EvalContext): FdState | undefined | false {
  const t = fdType(ctx);
  if (t === undefined || !IP_TYPES.has(t)) return false;
  return ctx.fd;
}

function cip(ctx: EvalContext): string | undefined {
  const f = ipFd(ctx);
  if (f === false) return undefined;
  if (f && f.cip !== undefined) return f.cip;
  const n = fdName(ctx);
  return n ? parseEndpoints(n).cip : undefined;
}
function sip(ctx: EvalContext): string | undefined {
  const f = ipFd(ctx);
  if (f === false) return undefined;
  if (f && f.sip !== undefined) return f.sip;
  const n = fdName(ctx);
  return n ? parseEndpoints(n).sip : undefined;
}
function cport(ctx: EvalContext): number | undefined {
  const f = ipFd(ctx);
  if (f === false) return undefined;
  if (f && f.cport !== undefined) return f.cport;
  const n = fdName(ctx);
  return n ? parseEndpoints(n).cport : undefined;
}
function sport(ctx: EvalContext): number | undefined {
  const f = ipFd(ctx);
  if (f === false) return undefined;
  if (f && f.sport !== undefined) return f.sport;
  const n = fdName(ctx);
  return n ? parseEndpoints(n).sport : undefined;
}
const isServer = (ctx: EvalContext): boolean => ctx.fd?.isServer === true;
const lip = (ctx: EvalContext) => (isServer(ctx) ? sip(ctx) : cip(ctx));
const rip = (ctx: EvalContext) => (isServer(ctx) ? cip(ctx) : sip(ctx));
const lport = (ctx: EvalContext) => (isServer(ctx) ? sport(ctx) : cport(ctx));
const rport = (ctx: EvalContext) => (isServer(ctx) ? cport(ctx) : sport(ctx));

function both<T>(a: T | undefined, b: T | undefined): T[] | undefined {
  if (a === undefined) return b === undefined ? undefined : [b];
  return b === undefined ? [a] : [a, b];
}

// open flags ---------------------------------------------------------------

interface OpenFlags {
  read: boolean;
  write: boolean;
  create: boolean;
}
let lastFlagsIn: unknown = Symbol('none');
let lastFlags: OpenFlags = { read: false, write: false, create: false };
// Flag strings come from a small set (O_RDONLY|O_CLOEXEC, O_WRONLY|O_CREAT|O_TRUNC…): parsed once
// each, in a bounded map (cleared when full, so hostile traces cannot grow it).
const FLAGS_CACHE_MAX = 512;
const flagsCache = new Map<string | number, OpenFlags>();
function parseFlags(v: string | number | undefined): OpenFlags {
  if (v === lastFlagsIn) return lastFlags;
  lastFlagsIn = v;
  if (v !== undefined) {
    const hit = flagsCache.get(v);
    if (hit !== undefined) return (lastFlags = hit);
  }
  let read = false;
  let write = false;
  let create = false;
  let num: number | undefined;
  if (typeof v === 'number') num = v;
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) num = Number(v.trim());
  if (num !== undefined) {
    const acc = num & 3;
    read = acc === 0 || acc === 2;
    write = acc === 1 || acc === 2;
    create = (num & 0o100) !== 0;
  } else if (typeof v === 'string') {
    const parts = v.split(/[|\s,]+/);
    const wr = parts.includes('O_WRONLY');
    const rw = parts.includes('O_RDWR');
    write = wr || rw;
    read = parts.includes('O_RDONLY') || rw || !wr;
    create = parts.includes('O_CREAT');
  } else {
    read = true;
  }
  lastFlags = { read, write, create };
  if (v !== undefined && (typeof v === 'number' || v.length <= 256)) {
    if (flagsCache.size >= FLAGS_CACHE_MAX) flagsCache.clear();
    flagsCache.set(v, lastFlags);
  }
  return lastFlags;
}

function modeIsExec(v: string | number | undefined): boolean {
  if (typeof v === 'number') return (v & 0o111) !== 0;
  if (typeof v !== 'string') return false;
  const s = v.trim();
  if (/^0[0-7]*$/.test(s)) return (parseInt(s, 8) & 0o111) !== 0;
  if (/^\d+$/.test(s)) return (Number(s) & 0o111) !== 0;
  return /S_IX(USR|GRP|OTH)|S_IRWX[UGO]/.test(s);
}

const CREAT_FLAGS: OpenFlags = { read: false, write: true, create: true };
let lastOpenType: string | undefined;
let lastOpenFlagsArg: unknown;
let lastOpenResult: OpenFlags | undefined;
/** Memoised on (type, flags value): many rules ask for is_open_read/write on the same event. */
function openFlagsOf(ctx: EvalContext): OpenFlags | undefined {
  const t = ctx.event.type;
  const f = ctx.event.args['flags'];
  if (t === lastOpenType && f === lastOpenFlagsArg) return lastOpenResult;
  lastOpenType = t;
  lastOpenFlagsArg = f;
  lastOpenResult = !OPEN_TYPES.has(t) ? undefined : t === 'creat' ? CREAT_FLAGS : parseFlags(f);
  return lastOpenResult;
}

/**
 * `evt.arg.NAME` as a load of a constant property (`c.event.args.flags`): the argument objects of
 * different syscalls have different shapes, and a keyed load with the name in a variable goes the
 * slow megamorphic way. Only plain identifiers reach the generated source; others use the closure.
 */
function namedArgGetter(a: string): ((c: EvalContext) => FieldValue) | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(a)) return undefined;
  try {
    return new Function('c', `"use strict"; const v = c.event.args[${JSON.stringify(a)}]; return v === undefined ? undefined : typeof v === "string" ? v : String(v);`) as (c: EvalContext) => FieldValue;
  } catch {
    return undefined;
  }
}

// fs.path.* ---------------------------------------------------------------------

/** Opens answer fs.path.name from the fd the tracker resolved (cwd or dirfd); creat is our extension. */
const FS_OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'creat']);

/** Falco answers fs.path.* only for calls that succeeded (res = 0, or an fd for opens). */
function fsSucceeded(c: EvalContext): boolean {
  return c.event.rawres >= 0 && typeof c.event.res === 'number';
}

let lastFsEvent: NormalizedEvent | undefined;
let lastFs: FsPaths | undefined;
/**
 * The event's path-only-syscall paths: what the state tracker resolved, or, for a context built
 * without the tracker, the same table resolved against the cwd (relative to an `*at` dirfd other
 * than AT_FDCWD stays unknown). Memoised on the event: rules often ask several fs.path fields.
 */
function fsPathsOf(c: EvalContext): FsPaths | undefined {
  const fp = c.fsPath;
  if (fp !== undefined) return fp;
  const e = c.event;
  if (e === lastFsEvent) return lastFs;
  const spec = FS_PATH_SPECS.get(e.type);
  lastFsEvent = e;
  if (spec === undefined) {
    lastFs = undefined;
    return undefined;
  }
  const cwd = c.proc.cwd;
  lastFs = resolveFsPaths(spec, e.args, (dirArg) => {
    if (dirArg === undefined) return cwd;
    const d = e.args[dirArg];
    return d === undefined || d === AT_FDCWD || d === 'AT_FDCWD' ? cwd : undefined;
  });
  return lastFs;
}

function openPathRaw(c: EvalContext): string | undefined {
  const v = c.event.args['name'];
  return typeof v === 'string' ? v : c.fd?.nameraw;
}

function fsName(c: EvalContext): string | undefined {
  if (!fsSucceeded(c)) return undefined;
  const fp = fsPathsOf(c);
  if (fp !== undefined) return fp.name;
  const t = c.event.type;
  if (FS_OPEN_TYPES.has(t)) {
    if (c.fd !== undefined && c.fd.name !== '') return c.fd.name;
    const raw = openPathRaw(c);
    if (raw === undefined) return undefined;
    if (raw.charCodeAt(0) === 47) return normalizePath(raw);
    const d = c.event.args['dirfd'];
    return d === undefined || d === AT_FDCWD ? resolvePath(c.proc.cwd, raw) : undefined;
  }
  if (t === 'fchmod' || t === 'fchown') return (c.fd ?? c.event.fd)?.name;
  return undefined;
}

function fsNameRaw(c: EvalContext): string | undefined {
  if (!fsSucceeded(c)) return undefined;
  const fp = fsPathsOf(c);
  if (fp !== undefined) return fp.nameraw;
  const t = c.event.type;
  if (FS_OPEN_TYPES.has(t)) return openPathRaw(c);
  if (t === 'fchmod' || t === 'fchown') return (c.fd ?? c.event.fd)?.name;
  return undefined;
}

const fsSource = (c: EvalContext): string | undefined => (fsSucceeded(c) ? fsPathsOf(c)?.source : undefined);
const fsSourceRaw = (c: EvalContext): string | undefined => (fsSucceeded(c) ? fsPathsOf(c)?.sourceraw : undefined);
const fsTarget = (c: EvalContext): string | undefined => (fsSucceeded(c) ? fsPathsOf(c)?.target : undefined);
const fsTargetRaw = (c: EvalContext): string | undefined => (fsSucceeded(c) ? fsPathsOf(c)?.targetraw : undefined);

// time -----------------------------------------------------------------------

function fmtTime(tsNs: number): string {
  const ms = Math.floor(tsNs / 1e6);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = Math.floor(tsNs % 1e9);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(frac, 9)}`;
}

// users ------------------------------------------------------------------------

function userName(ctx: EvalContext, uid: number): string {
  const m = ctx.sandbox.users?.[uid];
  if (m !== undefined) return m;
  return uid === 0 ? 'root' : String(uid);
}
function groupName(ctx: EvalContext, gid: number): string {
  const m = ctx.sandbox.groups?.[gid];
  if (m !== undefined) return m;
  return gid === 0 ? 'root' : String(gid);
}
function normLoginuid(n: number): number {
  return n === 4294967295 ? -1 : n;
}

// mounts ---------------------------------------------------------------------

interface Mount {
  source: string;
  dest: string;
  mode: string;
}
function parseMount(m: string): Mount {
  const parts = m.split(':');
  if (parts.length === 1) return { source: m, dest: m, mode: '' };
  return { source: parts[0]!, dest: parts[1]!, mode: parts.slice(2).join(':') };
}
let lastMountsIn: string[] | undefined;
let lastMounts: Mount[] = [];
function mountsOf(ctx: EvalContext): Mount[] {
  const m = ctx.sandbox.mounts;
  if (m === lastMountsIn) return lastMounts;
  lastMountsIn = m;
  lastMounts = (m ?? []).map(parseMount);
  return lastMounts;
}

function mountField(name: string, pick: 'source' | 'dest', by: 'source' | 'dest'): FieldDef {
  return witharg(
    name,
    'string',
    'required',
    (arg) => {
      const a = arg ?? '';
      if (/^\d+$/.test(a)) {
        const idx = Number(a);
        return (ctx) => mountsOf(ctx)[idx]?.[pick] ?? 'N/A';
      }
      const re = compileGlob(a);
      return (ctx) => {
        for (const m of mountsOf(ctx)) if (re.test(m[by])) return m[pick];
        return 'N/A';
      };
    },
    { approximation: 'Mounts come from sandbox metadata as "source:dest[:mode]" (a bare path means source = dest); no match yields "N/A" like the container plugin.' },
  );
}

// ------------------------------------------------------------------ registry

function buildFields(): FieldDef[] {
  const fields: FieldDef[] = [];
  const add = (...d: FieldDef[]) => fields.push(...d);

  // evt.*
  add(
    simple('evt.type', 'string', (c) => c.event.type),
    simple('syscall.type', 'string', (c) => (c.event.source === 'sandbox' || c.event.source === 'network' ? undefined : c.event.type)),
    simple('evt.dir', 'string', () => '<', { approximation: 'Normalized events are whole syscalls; every event is the exit side (<).' }),
    simple('evt.num', 'number', (c) => c.event.seq),
    simple('evt.rawtime', 'number', (c) => c.event.ts),
    simple('evt.time', 'string', (c) => fmtTime(c.event.ts), { approximation: 'UTC rather than local time.' }),
    simple('evt.datetime', 'string', (c) => new Date(Math.floor(c.event.ts / 1e6)).toISOString()),
    simple('evt.source', 'string', (c) => (c.event.source === 'network' ? 'network' : 'syscall'), { approximation: '"network" on the simulated network\'s events, else "syscall".' }),
    simple('evt.res', 'string', (c) => {
      const r = c.event.res;
      if (typeof r === 'string') return r;
      return c.event.rawres < 0 ? String(c.event.rawres) : 'SUCCESS';
    }),
    simple('evt.rawres', 'number', (c) => c.event.rawres),
    simple('evt.failed', 'bool', (c) => c.event.rawres < 0 || typeof c.event.res === 'string'),
    simple('evt.args', 'string', (c) =>
      Object.entries(c.event.args)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ),
    witharg('evt.arg', 'string', 'required', (arg) => {
      const a = arg ?? '';
      if (/^\d+$/.test(a)) {
        const idx = Number(a);
        return (c) => {
          const v = Object.values(c.event.args)[idx];
          return v === undefined ? undefined : String(v);
        };
      }
      return namedArgGetter(a) ?? ((c) => {
        const v = c.event.args[a];
        return v === undefined ? undefined : typeof v === 'string' ? v : String(v);
      });
    }, { approximation: 'Values compare as strings; relational operators compare numerically when the right side is a number.' }),
    witharg('evt.rawarg', 'string', 'required', (arg) => {
      const a = arg ?? '';
      return (c) => {
        const v = c.event.args[a];
        return v === undefined ? undefined : String(v);
      };
    }),
    simple('evt.is_open_read', 'bool', (c) => openFlagsOf(c)?.read ?? false),
    simple('evt.is_open_write', 'bool', (c) => openFlagsOf(c)?.write ?? false),
    simple('evt.is_open_create', 'bool', (c) => openFlagsOf(c)?.create ?? false),
    simple('evt.is_open_exec', 'bool', (c) => {
      const f = openFlagsOf(c);
      return f !== undefined && f.create && modeIsExec(c.event.args['mode']);
    }),
    simple('evt.buffer', 'string', (c) => {
      const a = c.event.args;
      const v = a['data'] ?? a['buf'] ?? a['buffer'];
      return v === undefined ? undefined : String(v);
    }, { approximation: 'Read from the data/buf/buffer argument, as far as the probe captured it (strace truncates to -s bytes).' }),
    simple('evt.buflen', 'number', (c) => {
      const a = c.event.args;
      const v = a['data'] ?? a['buf'] ?? a['buffer'];
      return v === undefined ? undefined : String(v).length;
    }),
  );

  // proc.*
  add(
    simple('proc.name', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.name;
    }),
    simple('proc.applet', 'string', (c: EvalContext) => applet(c.proc), {
      approximation: 'Quarantine field: the tool a multi-call binary (busybox, toybox, /proc/self/exe) runs, from argv[0] (or argv[1] after `busybox`); proc.name otherwise. Use it to catch tools, not to excuse them: argv[0] is chosen by the caller. Probes without argv (perf, ftrace) give the exec\'d file\'s basename.',
    }),
    simple('proc.exe', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.exe;
    }),
    simple('proc.exepath', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.exepath;
    }),
    simple('proc.cmdline', 'string', (c: EvalContext) => {
      const x = c.proc;
      return cmdline(x);
    }),
    simple('proc.exeline', 'string', (c: EvalContext) => {
      const x = c.proc;
      return (x.args.length > 1 ? x.exe + ' ' + x.args.slice(1).join(' ') : x.exe);
    }),
    simple('proc.args', 'string', (c: EvalContext) => {
      const x = c.proc;
      return procArgs(x);
    }),
    simple('proc.cmdnargs', 'number', (c: EvalContext) => {
      const x = c.proc;
      return Math.max(0, x.args.length - 1);
    }),
    simple('proc.cmdlenargs', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.args.slice(1).reduce((n, a) => n + a.length, 0);
    }),
    simple('proc.pid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.pid;
    }),
    simple('proc.vpid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.vpid;
    }),
    simple('proc.ppid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.ppid;
    }),
    simple('proc.pvpid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.parent?.vpid;
    }),
    simple('proc.pname', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.parent?.name;
    }),
    simple('proc.pcmdline', 'string', (c: EvalContext) => {
      const x = c.proc;
      return (x.parent ? cmdline(x.parent) : undefined);
    }),
    simple('proc.pexe', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.parent?.exe;
    }),
    simple('proc.pexepath', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.parent?.exepath;
    }),
    simple('proc.cwd', 'string', (c: EvalContext) => {
      const x = c.proc;
      return x.cwd;
    }),
    simple('proc.tty', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.tty;
    }),
    simple('proc.sid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.sid;
    }),
    simple('proc.vpgid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.pgid;
    }, { approximation: 'pgid as the tracker knows it (namespace-local when the probe reports vpids).' }),
    simple('proc.is_sid_leader', 'bool', (c: EvalContext) => {
      const x = c.proc;
      return x.pid === x.sid;
    }),
    simple('proc.is_vpgid_leader', 'bool', (c: EvalContext) => {
      const x = c.proc;
      return x.pid === x.pgid || (x.vpid !== undefined && x.vpid === x.pgid);
    }, { approximation: 'Compares pid (or vpid) with the tracked pgid.' }),
    simple('proc.sname', 'string', (c: EvalContext) => {
      const x = c.proc;
      for (let q: ProcessState | undefined = x, i = 0; q && i < 4096; q = q.parent, i++) if (q.pid === x.sid || (q.vpid !== undefined && q.vpid === x.sid)) return q.name;
      return undefined;
    }, { approximation: 'Session leader found by walking the tracked ancestors; <NA> if it is outside the sandbox.' }),
    simple('proc.vpgid.name', 'string', (c: EvalContext) => {
      const x = c.proc;
      for (let q: ProcessState | undefined = x, i = 0; q && i < 4096; q = q.parent, i++) if (q.pid === x.pgid || (q.vpid !== undefined && q.vpid === x.pgid)) return q.name;
      return undefined;
    }),
    simple('proc.vpgid.exe', 'string', (c: EvalContext) => {
      const x = c.proc;
      for (let q: ProcessState | undefined = x, i = 0; q && i < 4096; q = q.parent, i++) if (q.pid === x.pgid || (q.vpid !== undefined && q.vpid === x.pgid)) return q.exe;
      return undefined;
    }),
    witharg('proc.env', 'string', 'optional', (arg) => {
      if (arg === undefined) return (c: EvalContext) => {
      const x = c.proc;
      return envString(x.env);
    };
      const prefix = arg + '=';
      return (c: EvalContext) => {
      const x = c.proc;
        for (const e of x.env) if (e.startsWith(prefix)) return e.slice(prefix.length);
        return undefined;
      };
    }, { approximation: 'Environment as seen at execve by the probe (empty if the probe does not capture envp).' }),
    simple('proc.duration', 'number', (c) => c.event.ts - c.proc.startTs),
    simple('proc.ppid.duration', 'number', (c) => (c.proc.parent ? c.event.ts - c.proc.parent.startTs : undefined)),
    simple('proc.is_exe_upper_layer', 'bool', (c: EvalContext) => {
      const x = c.proc;
      return x.exeWritten;
    }, { approximation: 'True when the executable was created or modified during the run (tracked drift), not read from overlayfs.' }),
    simple('proc.is_exe_from_memfd', 'bool', (c: EvalContext) => {
      const x = c.proc;
      return x.exeFromMemfd;
    }),
    simple('proc.loginshellid', 'number', (c: EvalContext) => {
      const x = c.proc;
      let found: number | undefined;
      for (let q: ProcessState | undefined = x, i = 0; q && i < 4096; q = q.parent, i++) if (/^-?(ba|z|k|c|tc|da|fi)?sh$/.test(q.name.replace(/^-/, ''))) found = q.pid;
      return found;
    }, { approximation: 'pid of the outermost shell among tracked ancestors.' }),
    simple('thread.tid', 'number', (c) => c.event.tid),
    simple('thread.vtid', 'number', (c) => (c.event.tid === c.event.pid ? c.event.vpid : undefined)),
    simple('thread.cap_effective', 'string', (c: EvalContext) => {
      const x = c.proc;
      return capString(x.capEffective);
    }, { approximation: 'From the tracker (Docker default set unless the probe reports capabilities).' }),
    simple('thread.cap_permitted', 'string', (c: EvalContext) => {
      const x = c.proc;
      return capString(x.capPermitted);
    }, { approximation: 'From the tracker (Docker default set unless the probe reports capabilities).' }),
  );

  // proc.aname[n] & co: n = 0 is the process itself; no argument = any ancestor (not self).
  const ancestry = (name: string, type: FieldType, pick: (q: ProcessState) => FieldValue) =>
    witharg(name, type, 'optional', (arg) => {
      if (arg === undefined) return (c: EvalContext) => {
      const x = c.proc;
      return ancestorValues(x, pick) as FieldValue;
    };
      const n = parseIndex(name, arg);
      return (c: EvalContext) => {
      const x = c.proc;
        const q = ancestor(x, n);
        return q ? pick(q) : undefined;
      };
    }, { multi: true });
  add(
    ancestry('proc.aname', 'string', (q) => q.name),
    ancestry('proc.apid', 'number', (q) => q.pid),
    ancestry('proc.aexe', 'string', (q) => q.exe),
    ancestry('proc.aexepath', 'string', (q) => q.exepath),
    ancestry('proc.acmdline', 'string', (q) => cmdline(q)),
  );

  // user / group
  add(
    simple('user.uid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.uid;
    }),
    simple('user.name', 'string', (c) => userName(c, c.proc.uid), { approximation: 'Name from sandbox.users when given; else "root" for 0 and the numeric uid otherwise.' }),
    simple('user.loginuid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return normLoginuid(x.loginuid);
    }),
    simple('user.loginname', 'string', (c) => {
      const l = normLoginuid(c.proc.loginuid);
      return l < 0 ? undefined : userName(c, l);
    }),
    simple('user.homedir', 'string', (c) => (c.proc.uid === 0 ? '/root' : undefined), { approximation: 'Only known for root.' }),
    simple('group.gid', 'number', (c: EvalContext) => {
      const x = c.proc;
      return x.gid;
    }),
    simple('group.name', 'string', (c) => groupName(c, c.proc.gid), { approximation: 'Name from sandbox.groups when given; else "root" for 0 and the numeric gid otherwise.' }),
  );

  // fd.*
  add(
    simple('fd.num', 'number', (c) => {
      const f = c.fd ?? c.event.fd;
      if (f) return f.num;
      return isFailedOpen(c) ? (c.event.rawres < 0 ? -1 : c.event.rawres) : undefined;
    }),
    simple('fd.name', 'string', fdName),
    simple('fd.nameraw', 'string', (c) => c.fd?.nameraw ?? fdName(c)),
    simple(
      'fd.lure',
      'string',
      (c) => {
        const l = c.sandbox.lures;
        if (l === undefined || l.size === 0) return undefined;
        const n = fdName(c);
        return n === undefined ? undefined : l.get(n);
      },
      { approximation: 'Quarantine field: the kind of the credential lure planted at fd.name (aws-credentials, ssh-key, …), absent for any other file.' },
    ),
    simple('fd.type', 'string', fdType),
    simple('fd.typechar', 'string', (c) => {
      const t = fdType(c);
      return t === undefined ? undefined : TYPECHAR_OF.get(t);
    }),
    simple('fd.directory', 'string', (c) => {
      const t = fdType(c);
      const n = fdName(c);
      if (n === undefined || t === undefined) return undefined;
      if (t === 'directory') return n;
      if (t === 'file' || t === 'memfd') return dirname(n);
      return undefined;
    }),
    simple('fd.is_other_proc', 'bool', (c) => {
      const n = fdName(c);
      if (n === undefined || !n.startsWith('/proc/')) return false;
      const end = n.indexOf('/', 6);
      const who = end < 0 ? n.slice(6) : n.slice(6, end);
      if (who === '' || who.length > 10 || !/^[0-9]+$/.test(who)) return false;
      const pid = Number(who);
      return pid !== c.proc.pid && pid !== c.proc.vpid;
    }, { approximation: 'Quarantine field: fd.name is below /proc/<pid>/ of a process other than this one (its pid or pid-namespace pid); /proc/self/… is false.' }),
    simple('fd.filename', 'string', (c) => {
      const t = fdType(c);
      const n = fdName(c);
      if (n === undefined || (t !== 'file' && t !== 'memfd')) return undefined;
      return fdBasename(n);
    }),
    simple('fd.l4proto', 'string', (c) => {
      if (c.fd?.l4proto) return c.fd.l4proto;
      const t = fdType(c);
      return t !== undefined && IP_TYPES.has(t) ? undefined : undefined;
    }),
    simple('fd.sockfamily', 'string', (c) => {
      const f = c.fd?.family;
      if (f) return f === 'ip6' ? 'ip' : f;
      const t = fdType(c);
      if (t === 'ipv4' || t === 'ipv6') return 'ip';
      if (t === 'unix') return 'unix';
      return undefined;
    }),
    simple('fd.connected', 'bool', (c) => {
      if (c.fd) return c.fd.connected;
      const t = fdType(c);
      return t !== undefined && SOCKET_TYPES.has(t) ? fdName(c)?.includes('->') ?? false : undefined;
    }),
    simple('fd.is_server', 'bool', (c) => (c.fd ? c.fd.isServer : undefined)),
    simple('fd.name_changed', 'bool', (c) => c.fd?.nameChanged ?? false),
    simple('fd.cip', 'ipaddr', cip),
    simple('fd.sip', 'ipaddr', sip),
    simple('fd.lip', 'ipaddr', lip),
    simple('fd.rip', 'ipaddr', rip),
    simple('fd.cport', 'number', cport),
    simple('fd.sport', 'number', sport),
    simple('fd.lport', 'number', lport),
    simple('fd.rport', 'number', rport),
    simple('fd.ip', 'ipaddr', (c) => both(cip(c), sip(c)), { multi: true }),
    simple('fd.port', 'number', (c) => both(cport(c), sport(c)), { multi: true }),
    simple('fd.net', 'ipnet', (c) => both(cip(c), sip(c)), { multi: true }),
    simple('fd.cnet', 'ipnet', cip),
    simple('fd.snet', 'ipnet', sip),
    simple('fd.lnet', 'ipnet', lip),
    simple('fd.rnet', 'ipnet', rip),
  );
  const noDns = 'No DNS cache in the sandbox: <NA> (comparisons are false) unless the tracker names the endpoint.';
  add(
    simple('fd.cip.name', 'string', () => undefined, { approximation: noDns }),
    simple('fd.sip.name', 'string', () => undefined, { approximation: noDns }),
    simple('fd.lip.name', 'string', () => undefined, { approximation: noDns }),
    simple('fd.rip.name', 'string', () => undefined, { approximation: noDns }),
  );

  // fs.path.*: paths of path-only syscalls (unlink, rename, chmod, mkdir, symlink, …) and opens.
  const fsResolved = 'Resolved lexically (like Falco) against the cwd or, better than Falco, the *at call\'s directory fd; ' +
    '<NA> when relative to an fd the tracker does not know. Only for successful calls, like Falco.';
  add(
    simple('fs.path.name', 'string', fsName, {
      desc: 'Path a single-path file syscall operated on (mkdir, rmdir, unlink, open, chmod, chown, umount…), absolute.',
      approximation: `${fsResolved} Also answered for truncate, mknod/mknodat, utimensat and creat, which Falco leaves <NA>.`,
    }),
    simple('fs.path.nameraw', 'string', fsNameRaw, { desc: 'fs.path.name as passed to the syscall (may be relative).' }),
    simple('fs.path.source', 'string', fsSource, {
      desc: 'Source path of rename (oldpath), link/symlink (the new link) or mount (dev), absolute.',
      approximation: fsResolved,
    }),
    simple('fs.path.sourceraw', 'string', fsSourceRaw, { desc: 'fs.path.source as passed to the syscall.' }),
    simple('fs.path.target', 'string', fsTarget, {
      desc: 'Target path of rename (newpath), link (oldpath), symlink (its contents) or mount (dir), absolute.',
      approximation: `${fsResolved} A relative symlink target is resolved against the link's directory (where it points), not the cwd.`,
    }),
    simple('fs.path.targetraw', 'string', fsTargetRaw, { desc: 'fs.path.target as passed to the syscall.' }),
  );

  // container / k8s
  add(
    simple('container.id', 'string', (c) => (c.sandbox.containerId ? c.sandbox.containerId.slice(0, 12) : 'host')),
    simple('container.full_id', 'string', (c) => c.sandbox.containerId || 'host'),
    simple('container.name', 'string', (c) => c.sandbox.containerName),
    simple('container.type', 'string', () => 'docker', { approximation: 'Always docker (the sandbox runtime family).' }),
    simple('container.image', 'string', (c) => c.sandbox.image),
    simple('container.image.repository', 'string', (c) => c.sandbox.imageRepository),
    simple('container.image.tag', 'string', (c) => c.sandbox.imageTag),
    simple('container.image.digest', 'string', (c) => c.sandbox.imageDigest),
    simple('container.privileged', 'bool', (c) => c.sandbox.privileged),
    simple('container.mounts', 'string', (c) => mountsOf(c).map((m) => `${m.source}:${m.dest}:${m.mode}`).join(',')),
    mountField('container.mount.dest', 'dest', 'source'),
    mountField('container.mount.source', 'source', 'dest'),
    simple('k8s.ns.name', 'string', (c) => c.sandbox.k8sNamespace),
    simple('k8s.pod.name', 'string', (c) => c.sandbox.k8sPod),
  );
  add(...networkFields());
  add(...staticFields());
  return fields;
}

export class DefaultFieldRegistry implements FieldRegistry {
  private readonly byName = new Map<string, FieldDef>();
  constructor(defs: FieldDef[] = buildFields()) {
    for (const d of defs) this.byName.set(d.name, d);
  }
  get(name: string): FieldDef | undefined {
    return this.byName.get(name);
  }
  list(): FieldDef[] {
    return [...this.byName.values()];
  }
}

export const defaultFields = new DefaultFieldRegistry();

/** Field names and approximation notes, for docs and the validate endpoint. */
export function describeFields(reg: DefaultFieldRegistry = defaultFields): { name: string; type: FieldType; arg?: string; approximation?: string }[] {
  return reg
    .list()
    .map((d) => ({ name: d.name, type: d.type, arg: d.arg, approximation: d.approximation }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
