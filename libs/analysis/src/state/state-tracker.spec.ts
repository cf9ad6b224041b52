import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { createStraceParser } from '../probes/strace-parser.js';
import { parseText } from '../probes/trace-parser.js';
import type { EvalContext, ProcessState, SandboxMetadata } from './context.js';
import { StateTracker } from './state-tracker.js';

const sandbox: SandboxMetadata = {
  containerId: 'abc123', containerName: 'q-1', image: 'qfix:latest', imageRepository: 'qfix', imageTag: 'latest', privileged: false, mounts: [],
};
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../probes/__fixtures__/${name}.strace`, import.meta.url)), 'utf8');

function run(text: string, tracker = new StateTracker({ sandbox })): { ctxs: EvalContext[]; tracker: StateTracker } {
  const ctxs: EvalContext[] = [];
  // Snapshot what rules would see at each event (contexts are live views).
  for (const e of parseText(createStraceParser, text).events) {
    const c = tracker.push(e);
    if (c) ctxs.push({ ...c, proc: snapshot(c.proc), fd: c.fd ? { ...c.fd } : undefined } as EvalContext);
  }
  return { ctxs, tracker };
}
function snapshot(p: ProcessState): ProcessState {
  return { ...p, parent: p.parent ? snapshot(p.parent) : undefined } as ProcessState;
}
function anames(p: ProcessState): string[] {
  const out: string[] = [];
  for (let q = p.parent; q; q = q.parent) out.push(q.name);
  return out;
}

describe('state tracker on captured traces', () => {
  it('hides the wrapper; the entrypoint execve is the first event with its identity', () => {
    const { ctxs, tracker } = run(fixture('readshadow'));
    expect(ctxs[0]!.event).toMatchObject({ seq: 1, type: 'execve', pid: 6345, proc: { name: 'readshadow', exe: '/bin/readshadow', args: ['/bin/readshadow'] } });
    expect(ctxs[0]!.proc.env).toContain('HOME=/root');
    const open = ctxs.find((c) => c.event.type === 'openat' && c.event.res === 3)!;
    expect(open.fd).toMatchObject({ num: 3, type: 'file', name: '/etc/shadow' });
    expect(open.event.container).toEqual({ id: 'abc123', image: 'qfix:latest' });
    const failed = ctxs.find((c) => c.event.res === 'ENOENT')!;
    expect(failed.fd).toMatchObject({ num: -2, name: '/nonexistent/key' });
    const s = tracker.finish();
    expect(s.stats.suppressed).toBe(2);
    expect(s.entrypoint).toMatchObject({ started: true, pid: 6345, exe: '/bin/readshadow', exitCode: 0 });
  });

  it('reverse shell: after dup2, fds 0/1/2 of sh are the connected socket', () => {
    const { ctxs, tracker } = run(fixture('revshell'));
    const sh = ctxs.find((c) => c.event.type === 'execve' && c.proc.name === 'sh')!;
    expect(sh.proc.args).toEqual(['/bin/sh', '-c', 'echo shell-up; id']);
    const w = ctxs.find((c) => c.event.type === 'write' && c.proc.name === 'sh')!;
    expect(w.fd).toMatchObject({ num: 1, type: 'ipv4', sip: '127.0.0.1', sport: 4444, connected: true, l4proto: 'tcp' });
    expect(w.event.fd?.name).toBe('0.0.0.0:0->127.0.0.1:4444');
    const failed = ctxs.find((c) => c.event.type === 'connect' && c.event.res === 'ENETUNREACH')!;
    expect(failed.fd).toMatchObject({ sip: '10.0.0.1', sport: 4444, connected: false });
    const acc = ctxs.find((c) => c.event.type === 'accept')!;
    expect(acc.fd).toMatchObject({ isServer: true, connected: true, sip: '127.0.0.1', sport: 4444 });
    expect(acc.event).toMatchObject({ pid: 6509, ppid: 6486, vpid: 7 });
    const s = tracker.finish();
    expect(s.network.map((n) => [n.syscall, n.address, n.port, n.result])).toEqual(expect.arrayContaining([
      ['connect', '10.0.0.1', 4444, 'ENETUNREACH'], ['connect', 'fd00::1', 4444, 'EADDRNOTAVAIL'], ['connect', '/var/run/docker.sock', undefined, 'ENOENT'],
      ['sendto', '10.0.0.1', 53, 'ENETUNREACH'], ['listen', '127.0.0.1', 4444, 'ok'], ['connect', '127.0.0.1', 4444, 'ok'],
    ]));
    expect(s.processes.find((p) => p.pid === 6509)).toMatchObject({ ppid: 6486, vpid: 7, signal: 'SIGKILL' });
  });

  it('fileless: execveat on a memfd and exec of /proc/self/fd/N are exeFromMemfd', () => {
    const { ctxs } = run(fixture('memfdexec'));
    const [a, b] = ctxs.filter((c) => c.event.type.startsWith('execve') && c.event.pid !== 6625);
    expect(a!.proc).toMatchObject({ exeFromMemfd: true, exepath: '/memfd:payload (deleted)', name: 'memfd:payload', args: ['kworker', 'echo', 'from-execveat'] });
    expect(a!.event.proc.exe).toBe('kworker');
    expect(b!.proc).toMatchObject({ exeFromMemfd: true, name: '3' });
    expect(anames(a!.proc)).toEqual(['memfdexec']);
    const parent = ctxs.find((c) => c.event.type === 'procexit' && c.event.pid === 6625)!;
    expect(parent.proc.exeFromMemfd).toBe(false);
  });

  it('threads share the process; fork child inherits and resolves cwd-relative paths; vfork child seen early', () => {
    const { ctxs, tracker } = run(fixture('forker'));
    const th = ctxs.filter((c) => c.event.type === 'openat' && c.event.fd?.name === '/tmp/thread.out');
    expect(th.map((c) => [c.event.pid, c.event.tid])).toEqual([[6797, 6823], [6797, 6824]]);
    const rel = ctxs.find((c) => c.event.args.name === 'child.out')!;
    expect(rel.fd?.name).toBe('/tmp/child.out');
    expect(rel.proc.cwd).toBe('/tmp');
    const viaFchdir = ctxs.find((c) => c.event.args.name === 'passwd')!;
    expect(viaFchdir.fd?.name).toBe('/etc/passwd');
    const ls = ctxs.find((c) => c.event.type === 'execve' && c.proc.name === 'ls')!;
    expect(ls.event.ppid).toBe(6797);
    expect(anames(ls.proc)).toEqual(['forker']);
    const s = tracker.finish();
    expect(s.processes.map((p) => [p.pid, p.exitCode ?? p.signal])).toEqual([[6797, 0], [6825, 3], [6826, 0], [6827, 'SIGKILL']]);
    expect(s.processes[0]!.threads).toBe(3);
    expect(s.filesWritten.map((f) => f.path)).toEqual(['/tmp/thread.out', '/tmp/child.out']);
    expect(tracker.liveProcesses).toBe(0);
    expect(tracker.liveFds).toBe(0);
  });

  it('drift: a file written during the run and then executed is exeWritten, by absolute and relative path', () => {
    const { ctxs, tracker } = run(fixture('busybox-drift'));
    const drops = ctxs.filter((c) => c.event.type === 'execve' && c.proc.name === 'dropper');
    expect(drops).toHaveLength(2);
    expect(drops.map((c) => [c.proc.exepath, c.proc.exeWritten, c.proc.cwd])).toEqual([['/tmp/dropper', true, '/etc/cron.d'], ['/tmp/dropper', true, '/tmp']]);
    const sh = ctxs[0]!;
    expect(sh.proc.exeWritten).toBe(false);
    const s = tracker.finish();
    const files = Object.fromEntries(s.filesWritten.map((f) => [f.path, f.ops]));
    expect(files).toMatchObject({
      '/etc/evil.conf': ['create', 'write', 'delete'], '/etc/cron.d': ['mkdir'], '/etc/cron.d/job': ['create', 'write'], '/tmp/dropper': ['create', 'write', 'chmod'],
    });
    expect(s.entrypoint).toMatchObject({ started: true, exitCode: 7 });
  });

  it('uid changes and capabilities', () => {
    const { ctxs } = run(fixture('escape'));
    const after = ctxs.find((c) => c.event.type === 'symlink')!;
    expect(after.proc).toMatchObject({ uid: 1000, gid: 1000, capEffective: [] });
    expect(ctxs[0]!.proc.capEffective).toContain('CAP_NET_RAW');
  });
});

describe('state tracker on synthetic events', () => {
  const ev = (pid: number, type: string, res: number | string, args: RawEvent['args'] = {}, extra: Partial<RawEvent> = {}): RawEvent =>
    ({ ts: 1, source: 'strace', type, res, rawres: typeof res === 'number' ? res : -1, pid, tid: pid, args, ...extra });

  it('reports an entrypoint that never started', () => {
    const t = new StateTracker({ sandbox });
    expect(t.push(ev(1, 'execve', 'ENOENT', { filename: '/nope' }))).toBeUndefined();
    expect(t.push(ev(1, 'procexit', 0, { ret: 127 }))).toBeUndefined();
    expect(t.finish().entrypoint).toMatchObject({ started: false, execError: 'ENOENT', exitCode: 127 });
  });

  it('keeps memory bounded across many short-lived children and a deep fork chain', () => {
    const t = new StateTracker({ sandbox, maxProcessesInSummary: 100 });
    t.push(ev(1, 'execve', 0, { filename: '/bin/sh' }, { proc: { args: ['sh'], exe: 'sh' } }));
    let parent = 1;
    for (let i = 0; i < 5000; i++) {
      const child = 1000 + i;
      t.push(ev(parent, 'clone', i + 2, { flags: 'SIGCHLD' }, { hints: { childPid: child, childVpid: i + 2, cloneFlags: 'SIGCHLD' } }));
      t.push(ev(child, 'openat', 3, { dirfd: -100, name: `f${i}`, flags: 'O_RDONLY' }));
      t.push(ev(parent, 'procexit', 0, { ret: 0 }));
      parent = child; // fork-exit-fork: each generation outlives its parent
    }
    expect(t.liveProcesses).toBe(1);
    expect(t.liveFds).toBe(1);
    let depth = 0;
    for (let q = t.process(parent)!.parent; q; q = q.parent) depth++;
    expect(depth).toBeLessThanOrEqual(32);
    const s = t.finish();
    expect(s.processes).toHaveLength(100);
    expect(s.processesTruncated).toBe(4901);
  });

  it('close-on-exec fds disappear at execve, others survive; dup3 and fcntl dups', () => {
    const t = new StateTracker({ sandbox });
    t.push(ev(1, 'execve', 0, { filename: '/a' }, { proc: { args: ['a'] } }));
    t.push(ev(1, 'openat', 3, { dirfd: -100, name: '/x', flags: 'O_RDONLY|O_CLOEXEC' }));
    t.push(ev(1, 'openat', 4, { dirfd: -100, name: '/y', flags: 'O_RDONLY' }));
    t.push(ev(1, 'dup3', 5, { oldfd: 4, newfd: 5, flags: 'O_CLOEXEC' }));
    t.push(ev(1, 'fcntl', 10, { fd: 4, cmd: 'F_DUPFD' }, { hints: { dup: true } }));
    const c = t.push(ev(1, 'execve', 0, { filename: '/b' }, { proc: { args: ['b'] } }))!;
    expect(c.proc.name).toBe('b');
    const r = t.push(ev(1, 'read', 1, { fd: 10 }))!;
    expect(r.fd?.name).toBe('/y');
    expect(t.push(ev(1, 'read', -9, { fd: 3 }))!.fd).toBeUndefined();
    expect(t.liveFds).toBe(2);
  });

  it('learns inherited fds from strace annotations', () => {
    const t = new StateTracker({ sandbox });
    t.push(ev(1, 'execve', 0, { filename: '/a' }, { proc: { args: ['a'] } }));
    const w = t.push(ev(1, 'write', 3, { fd: 1 }, { fd: { num: 1, type: 'pipe', name: 'pipe:[5]' } }))!;
    expect(w.fd).toMatchObject({ num: 1, type: 'pipe', name: 'pipe:[5]' });
    expect(t.finish().stats.fdResyncs).toBe(1);
  });
});

describe('state tracker: paths of path-only syscalls (ctx.fsPath)', () => {
  // strace -f -ttt -yy shaped lines; the first execve is the wrapper's exec of the entrypoint.
  const trace = (...lines: string[]): string =>
    ['700 1.000000 execve("/bin/sh", ["sh", "-c", "x"], []) = 0', ...lines].map((l, i) => (l.includes(' 1.') ? l : `700 1.${String(i + 1).padStart(6, '0')} ${l}`)).join('\n') + '\n';
  const at = (ctxs: EvalContext[], type: string, n = 0): EvalContext => ctxs.filter((c) => c.event.type === type)[n]!;

  it('resolves a relative unlinkat against the cwd (cd /var/log && rm syslog) and records it in the summary', () => {
    const { ctxs, tracker } = run(trace('chdir("/var/log") = 0', 'unlinkat(AT_FDCWD, "syslog", 0) = 0', 'unlink("../log/./auth.log") = 0'));
    expect(at(ctxs, 'unlinkat').fsPath).toEqual({ name: '/var/log/syslog', nameraw: 'syslog' });
    expect(at(ctxs, 'unlink').fsPath).toEqual({ name: '/var/log/auth.log', nameraw: '../log/./auth.log' });
    expect(tracker.finish().filesWritten.map((f) => [f.path, f.ops])).toEqual([['/var/log/syslog', ['delete']], ['/var/log/auth.log', ['delete']]]);
  });

  it('uses the cwd strace prints on AT_FDCWD when the chdir was not seen', () => {
    const { ctxs } = run(trace('unlinkat(AT_FDCWD</var/log/nginx>, "../wtmp", 0) = 0'));
    expect(at(ctxs, 'unlinkat').fsPath).toEqual({ name: '/var/log/wtmp', nameraw: '../wtmp' });
  });

  it('resolves against a directory fd: one the tracker opened, one only strace annotated, and an unknown one', () => {
    const { ctxs } = run(trace(
      'openat(AT_FDCWD, "/etc", O_RDONLY|O_DIRECTORY) = 3</etc>',
      'unlinkat(3</etc>, "cron.d/../ld.so.preload", 0) = 0',
      'fchmodat(9</srv/app>, "bin/run", 04755) = 0',
      'mkdirat(12, "new", 0755) = 0',
      'mkdirat(12, "/abs/dir/", 0755) = 0',
    ));
    expect(at(ctxs, 'unlinkat').fsPath).toEqual({ name: '/etc/ld.so.preload', nameraw: 'cron.d/../ld.so.preload' });
    expect(at(ctxs, 'fchmodat').fsPath).toEqual({ name: '/srv/app/bin/run', nameraw: 'bin/run' });
    // Relative to an fd nobody knows: the raw path only, never a guess against the cwd.
    expect(at(ctxs, 'mkdirat').fsPath).toEqual({ nameraw: 'new' });
    expect(at(ctxs, 'mkdirat', 1).fsPath).toEqual({ name: '/abs/dir', nameraw: '/abs/dir/' });
  });

  it('rename: source and target each against their own dirfd', () => {
    const { ctxs, tracker } = run(trace(
      'chdir("/tmp") = 0',
      'openat(AT_FDCWD, "/usr/local/bin", O_RDONLY|O_DIRECTORY) = 4</usr/local/bin>',
      'renameat2(AT_FDCWD, "kworker", 4</usr/local/bin>, "kworker", RENAME_NOREPLACE) = 0',
      'rename("a", "../etc/b") = 0',
    ));
    expect(at(ctxs, 'renameat2').fsPath).toEqual({ source: '/tmp/kworker', sourceraw: 'kworker', target: '/usr/local/bin/kworker', targetraw: 'kworker' });
    expect(at(ctxs, 'rename').fsPath).toEqual({ source: '/tmp/a', sourceraw: 'a', target: '/etc/b', targetraw: '../etc/b' });
    const files = Object.fromEntries(tracker.finish().filesWritten.map((f) => [f.path, f.ops]));
    expect(files).toMatchObject({ '/tmp/kworker': ['rename-from'], '/usr/local/bin/kworker': ['rename-to'], '/etc/b': ['rename-to'] });
  });

  it('link and symlink: the new link is the source; a relative symlink target resolves against the link directory', () => {
    const { ctxs } = run(trace(
      'chdir("/usr/local/bin") = 0',
      'linkat(AT_FDCWD, "/bin/busybox", AT_FDCWD, "sh", 0) = 0',
      'symlinkat("../../../etc/shadow", AT_FDCWD, "sub/x") = 0',
      'symlink("/dev/null", "/root/.bash_history") = 0',
    ));
    expect(at(ctxs, 'linkat').fsPath).toEqual({ source: '/usr/local/bin/sh', sourceraw: 'sh', target: '/bin/busybox', targetraw: '/bin/busybox' });
    expect(at(ctxs, 'symlinkat').fsPath).toEqual({ source: '/usr/local/bin/sub/x', sourceraw: 'sub/x', target: '/usr/etc/shadow', targetraw: '../../../etc/shadow' });
    expect(at(ctxs, 'symlink').fsPath).toEqual({ source: '/root/.bash_history', sourceraw: '/root/.bash_history', target: '/dev/null', targetraw: '/dev/null' });
  });

  it('chmod, chown, truncate and failed calls carry their path; other syscalls carry none', () => {
    const { ctxs } = run(trace(
      'chdir("/tmp") = 0',
      'chmod("x", 0755) = 0',
      'fchownat(AT_FDCWD, "y", 0, 0, 0) = 0',
      'truncate("../var/log/syslog", 0) = 0',
      'unlinkat(AT_FDCWD, "gone", 0) = -1 ENOENT (No such file or directory)',
      'openat(AT_FDCWD, "z", O_RDONLY) = 3</tmp/z>',
      'read(3</tmp/z>, "", 10) = 0',
    ));
    expect(at(ctxs, 'chmod').fsPath).toEqual({ name: '/tmp/x', nameraw: 'x' });
    expect(at(ctxs, 'fchownat').fsPath).toEqual({ name: '/tmp/y', nameraw: 'y' });
    expect(at(ctxs, 'truncate').fsPath).toEqual({ name: '/var/log/syslog', nameraw: '../var/log/syslog' });
    expect(at(ctxs, 'unlinkat')).toMatchObject({ event: { res: 'ENOENT' }, fsPath: { name: '/tmp/gone' } });
    for (const t of ['execve', 'chdir', 'openat', 'read']) expect(at(ctxs, t).fsPath).toBeUndefined();
  });
});
