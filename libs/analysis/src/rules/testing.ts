/**
 * Test helper: build an EvalContext from partial values (defaults describe a plain `sh`
 * process in a sandbox container). Used by rule/scoring specs and the benchmark.
 */
import type { NormalizedEvent } from '../events/event.js';
import type { EvalContext, FdState, ProcessState, SandboxMetadata } from '../state/context.js';

export interface ContextInit {
  event?: Partial<NormalizedEvent>;
  proc?: Partial<ProcessState>;
  /** Ancestors, parent first: [parent, grandparent, ...]. */
  ancestors?: Partial<ProcessState>[];
  fd?: Partial<FdState>;
  sandbox?: Partial<SandboxMetadata>;
}

let seq = 0;

export function makeProcess(p: Partial<ProcessState> = {}): ProcessState {
  const name = p.name ?? 'sh';
  const exe = p.exe ?? `/bin/${name}`;
  return {
    pid: 100,
    ppid: 1,
    name,
    exe,
    exepath: p.exepath ?? exe,
    args: [exe],
    cwd: '/',
    uid: 0,
    gid: 0,
    loginuid: -1,
    env: [],
    tty: 0,
    sid: 1,
    pgid: 100,
    startTs: 1_700_000_000_000_000_000,
    exeWritten: false,
    exeFromMemfd: false,
    capEffective: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'],
    capPermitted: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'],
    ...p,
  };
}

export function makeSandbox(s: Partial<SandboxMetadata> = {}): SandboxMetadata {
  return {
    containerId: '0123456789abcdef0123456789abcdef',
    containerName: 'q-sample',
    image: 'sample:latest',
    imageRepository: 'sample',
    imageTag: 'latest',
    privileged: false,
    mounts: [],
    ...s,
  };
}

export function makeContext(init: ContextInit = {}): EvalContext {
  const proc = makeProcess(init.proc);
  let child = proc;
  let pid = proc.ppid;
  for (const a of init.ancestors ?? []) {
    const parent = makeProcess({ pid, ppid: Math.max(0, pid - 1), ...a });
    child.parent = parent;
    child.ppid = parent.pid;
    child = parent;
    pid = parent.ppid;
  }
  const e = init.event ?? {};
  const event: NormalizedEvent = {
    v: 1,
    seq: ++seq,
    ts: proc.startTs + 1_000_000,
    source: 'strace',
    type: 'openat',
    res: 0,
    rawres: 0,
    pid: proc.pid,
    tid: proc.pid,
    ppid: proc.ppid,
    proc: { name: proc.name, exe: proc.exe, args: proc.args, cwd: proc.cwd, uid: proc.uid, gid: proc.gid },
    args: {},
    container: { id: '0123456789ab', image: 'sample:latest' },
    ...e,
  };
  let fd: FdState | undefined;
  if (init.fd) {
    fd = { num: 3, type: 'file', name: '', nameraw: init.fd.name ?? '', connected: false, isServer: false, nameChanged: false, ...init.fd };
    if (!event.fd) event.fd = { num: fd.num, type: fd.type, name: fd.name };
  }
  return { event, proc, fd, sandbox: makeSandbox(init.sandbox) };
}

/** A small seeded pseudo-random generator (mulberry32) in [0, 1): the same sequence for the same seed (tests, benchmarks). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
