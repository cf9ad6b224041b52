/**
 * Hand-built EvalContexts for the shipped rules: small builders that produce what the strace
 * parser + state tracker produce for the same syscall (argument names and value formats as in
 * libs/analysis/src/probes/strace-parser.ts: symbolic flags, octal modes, `cip:cport->sip:sport`).
 */
import type { NormalizedEvent } from '../../../libs/analysis/src/events/event.js';
import type { FdState, ProcessState } from '../../../libs/analysis/src/state/context.js';
import { makeContext, type ContextInit } from '../../../libs/analysis/src/rules/testing.js';
import type { EvalContext } from '../../../libs/analysis/src/state/context.js';

export interface ProcOpts {
  /** Process name (comm); default: basename of exe. */
  name?: string;
  exe?: string;
  args?: string[];
  /** Ancestors, parent first. */
  parents?: Partial<ProcessState>[];
  uid?: number;
  env?: string[];
  tty?: number;
  exeWritten?: boolean;
  exeFromMemfd?: boolean;
  cwd?: string;
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** A parent process description, e.g. parent('sh', ['/docker-entrypoint.sh']). */
export function parent(name: string, args: string[] = [], exe = name.startsWith('/') ? name : `/bin/${name}`): Partial<ProcessState> {
  const n = basename(name);
  return { name: n, exe, exepath: exe, args: [exe, ...args] };
}

function proc(o: ProcOpts, fallbackExe = '/bin/sh'): Partial<ProcessState> {
  const exe = o.exe ?? fallbackExe;
  const p: Partial<ProcessState> = { name: o.name ?? basename(exe), exe, exepath: exe, args: o.args ?? [exe] };
  if (o.uid !== undefined) { p.uid = o.uid; p.gid = o.uid; }
  if (o.env) p.env = o.env;
  if (o.tty !== undefined) p.tty = o.tty;
  if (o.exeWritten) p.exeWritten = true;
  if (o.exeFromMemfd) p.exeFromMemfd = true;
  if (o.cwd) p.cwd = o.cwd;
  return p;
}

function init(event: Partial<NormalizedEvent>, o: ProcOpts, fd?: Partial<FdState>, fallbackExe?: string): ContextInit {
  const c: ContextInit = { event, proc: proc(o, fallbackExe), ancestors: o.parents ?? [] };
  if (fd) c.fd = fd;
  return c;
}

/** execve of `cmd` (cmd[0] a path or a name looked up in /usr/bin). */
export function exec(cmd: string[], o: ProcOpts = {}): EvalContext {
  const exe = o.exe ?? (cmd[0]!.startsWith('/') ? cmd[0]! : `/usr/bin/${cmd[0]}`);
  return makeContext(init(
    { type: 'execve', res: 0, rawres: 0, args: { filename: exe, args: cmd.slice(1).join(' ') } },
    { ...o, exe, args: [cmd[0]!, ...cmd.slice(1)] },
  ));
}

/** Successful openat of `path` with strace-style flags. */
export function open(path: string, flags = 'O_RDONLY', o: ProcOpts = {}, mode?: string): EvalContext {
  const args: Record<string, string | number> = { dirfd: -100, name: path, flags, fd: 3 };
  if (mode) args.mode = mode;
  return makeContext(init({ type: 'openat', res: 3, rawres: 3, args }, o, { num: 3, type: 'file', name: path, nameraw: path }));
}

/** Refused openat (the tracker gives fd.num = -errno and the resolved path). */
export function openFailed(path: string, flags: string, errno: string, code: number, o: ProcOpts = {}): EvalContext {
  return makeContext(init(
    { type: 'openat', res: errno, rawres: -code, args: { dirfd: -100, name: path, flags } },
    o, { num: -code, type: 'file', name: path, nameraw: path },
  ));
}

/** A syscall with no fd (unlink, chmod, ptrace, mount, …). */
export function sys(type: string, args: Record<string, string | number>, o: ProcOpts = {}, res: number | string = 0, rawres = typeof res === 'number' ? res : -1): EvalContext {
  return makeContext(init({ type, res, rawres, args }, o));
}

/** A syscall about an fd the tracker knows. */
export function sysFd(type: string, args: Record<string, string | number>, fd: Partial<FdState>, o: ProcOpts = {}, res: number | string = 0, rawres = typeof res === 'number' ? res : -1): EvalContext {
  return makeContext(init({ type, res, rawres, args }, o, fd));
}

export function tcpClientFd(ip: string, port: number, num = 3): Partial<FdState> {
  const v6 = ip.includes(':');
  return {
    num, type: v6 ? 'ipv6' : 'ipv4', name: `${v6 ? '::' : '0.0.0.0'}:0->${ip}:${port}`, sip: ip, sport: port,
    l4proto: 'tcp', family: v6 ? 'ip6' : 'ip', connected: false, isServer: false,
  };
}

/** connect() to ip:port; fails with ENETUNREACH like every connect in the sandbox. */
export function connect(ip: string, port: number, o: ProcOpts = {}, res: number | string = 'ENETUNREACH'): EvalContext {
  return sysFd('connect', { fd: 3, addr: `${ip}:${port}` }, tcpClientFd(ip, port), o, res, typeof res === 'number' ? res : -101);
}

/** connect() on a unix socket. */
export function connectUnix(path: string, o: ProcOpts = {}, res: number | string = 'ENOENT'): EvalContext {
  return sysFd('connect', { fd: 3, addr: path }, { num: 3, type: 'unix', name: path, family: 'unix' }, o, res, typeof res === 'number' ? res : -2);
}

/** dup2(3, newfd) where fd 3 is `fd`. */
export function dup2(newfd: number, fd: Partial<FdState>, o: ProcOpts = {}): EvalContext {
  return sysFd('dup2', { oldfd: 3, newfd }, { ...fd, num: newfd }, o, newfd, newfd);
}

/** An event the orchestrator emits (source: sandbox). */
export function sandboxEvent(type: string, args: Record<string, string | number> = {}): EvalContext {
  const c = makeContext({ event: { type, source: 'sandbox', res: 0, rawres: 0, args }, proc: { name: 'sandbox', exe: '' } });
  return c;
}

export const ENTRYPOINT = parent('sh', ['/docker-entrypoint.sh']);
export const APT = parent('apt-get', ['install', '-y', 'curl'], '/usr/bin/apt-get');
export const DPKG = parent('dpkg', ['--unpack', '/var/cache/apt/archives/curl.deb'], '/usr/bin/dpkg');
