import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { compileRules } from '../rules/index.js';
import { StateTracker } from '../state/state-tracker.js';
import { createGvisorParser, splitGvisorArgs, unquoteGo } from './gvisor-parser.js';
import { createStraceParser } from './strace-parser.js';
import { parseText, type RawEventSink, type TraceParser } from './trace-parser.js';

const FIX = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const RULES = fileURLToPath(new URL('../../../../sandbox-profiles/rules/', import.meta.url));
const rules = compileRules(readdirSync(RULES).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(RULES + f, 'utf8') })));
const gv = (name: string) => readFileSync(`${FIX}gvisor/${name}.gvisor`, 'utf8');
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: 'd', privileged: false, mounts: [] };

function replay(make: (s: RawEventSink) => TraceParser, text: string) {
  const { events, stats } = parseText(make, text);
  const tracker = new StateTracker({ sandbox });
  const fired = new Set<string>();
  const shown = [];
  for (const e of events) {
    const ctx = tracker.push(e);
    if (!ctx) continue;
    shown.push(ctx.event);
    for (const m of rules.evaluate(ctx)) fired.add(m.rule);
  }
  return { events, stats, shown, fired: [...fired].sort(), summary: tracker.finish() };
}

const L = (msg: string, file = 'strace.go:567', t = '07:55:10.645421') => `I1127 ${t}   29188 ${file}] ${msg}`;
const parse = (lines: string[], opts = {}) => parseText((s) => createGvisorParser(s, { initPid: 0, ...opts }), lines.join('\n'));

describe('gVisor parser on captured fixtures (the strace fixtures\' programs under runsc-trace)', () => {
  it.each(['readshadow', 'revshell', 'memfdexec', 'forker', 'escape', 'busybox-drift'])(
    '%s: the same rules fire as on the strace capture of the same program', (name) => {
      const g = replay(createGvisorParser, gv(name));
      const s = replay(createStraceParser, readFileSync(`${FIX}${name}.strace`, 'utf8'));
      expect(g.stats.unparsed).toBe(0);
      expect(g.stats.lost).toBe(0);
      expect(g.stats.detail.sandboxExited).toBe(1);
      expect(g.fired).toEqual(s.fired);
      expect(g.summary.entrypoint).toMatchObject({ started: true, exe: s.summary.entrypoint.exe, args: s.summary.entrypoint.args });
      expect(g.summary.entrypoint.exitCode).toBe(s.summary.entrypoint.exitCode);
      // Same process tree shape: executables in order.
      expect(g.summary.processes.map((p) => p.exepath)).toEqual(s.summary.processes.map((p) => p.exepath));
    });

  it('the first event is the entrypoint execve; docker-init (pid 1) and its pre-exec child are hidden', () => {
    const g = replay(createGvisorParser, gv('readshadow'));
    expect(g.events[0]).toMatchObject({ type: 'execve', pid: 2, tid: 2, source: 'gvisor', args: { filename: '/bin/readshadow' }, proc: { args: ['/bin/readshadow'] } });
    expect(g.events[0]!.env).toContain('HOME=/root');
    expect(g.stats.detail.initEvents).toBeGreaterThan(10);
    expect(g.stats.detail.preEntrypoint).toBeGreaterThan(0);
    expect(g.events.some((e) => e.pid === 1)).toBe(false);
    expect(g.shown[0]).toMatchObject({ type: 'execve', proc: { name: 'readshadow', exe: '/bin/readshadow' } });
    const open = g.events.find((e) => e.type === 'openat' && e.args.name === '/etc/shadow')!;
    expect(open).toMatchObject({ res: 3, args: { dirfd: -100, flags: 'O_RDONLY|O_CLOEXEC', fd: 3 }, fd: { num: 3, type: 'file', name: '/etc/shadow' } });
    expect(open.ts).toBeGreaterThan(Date.UTC(2026, 0, 1) * 1e6);
  });

  it('revshell: sockaddrs (IPv4, IPv6, unix), gVisor\'s errnos, dup2 onto stdio and the child\'s exit', () => {
    const g = replay(createGvisorParser, gv('revshell'));
    const connects = g.events.filter((e) => e.type === 'connect');
    expect(connects[0]).toMatchObject({ res: 'EHOSTUNREACH', rawres: -113, args: { addr: '10.0.0.1:4444' }, hints: { ip: '10.0.0.1', port: 4444, family: 'AF_INET' } });
    expect(connects.map((c) => c.args.addr)).toEqual(expect.arrayContaining(['fd00::1:4444', '/var/run/docker.sock', '127.0.0.1:4444']));
    expect(g.events.find((e) => e.type === 'dup2' && e.args.newfd === 0)).toMatchObject({ args: { oldfd: expect.any(Number) } });
    const clone = g.events.find((e) => e.type === 'clone' && typeof e.res === 'number' && e.res > 0)!;
    expect(clone.hints).toMatchObject({ childPid: clone.res, childVpid: clone.res });
    expect(String(clone.args.flags)).toMatch(/SIGCHLD$/);
    expect(g.summary.processes.length).toBe(2);
  });

  it('memfdexec: memfd_create, the ELF written into it, execveat(fd, "", AT_EMPTY_PATH)', () => {
    const g = replay(createGvisorParser, gv('memfdexec'));
    expect(g.events.find((e) => e.type === 'memfd_create')).toMatchObject({ args: { name: 'payload' }, fd: { type: 'memfd', name: 'memfd:payload' } });
    const w = g.events.find((e) => e.type === 'write' && e.fd?.type === 'memfd')!;
    expect(String(w.args.data).startsWith('\x7fELF')).toBe(true);
    expect(g.events.find((e) => e.type === 'execveat')).toMatchObject({ args: { pathname: '', flags: 'AT_EMPTY_PATH' } });
    expect(g.summary.processes.some((p) => p.exepath === '/memfd:payload (deleted)')).toBe(true);
  });

  it('gvedge: unquoted paths with ", " quotes and brackets, non-ASCII, an adversarial comm, unix and UDP sockets, a SIGKILLed child', () => {
    const g = replay(createGvisorParser, gv('gvedge'));
    expect(g.stats.unparsed).toBe(0);
    const odd = '/tmp/a, b "q" [x] {y} (z).txt';
    expect(g.events.find((e) => e.type === 'openat' && e.args.name === odd)).toMatchObject({ args: { flags: 'O_WRONLY|O_CREAT|O_TRUNC', mode: '0644' } });
    expect(g.events.find((e) => e.type === 'write' && e.fd?.name === odd)).toMatchObject({ args: { data: 'odd\n', size: 4 } });
    expect(g.events.find((e) => e.type === 'rename')).toMatchObject({ args: { oldpath: odd, newpath: '/tmp/ü ñ.txt' } });
    expect(g.events.find((e) => e.type === 'symlink')).toMatchObject({ args: { target: '/etc/shadow', linkpath: '/tmp/link, to shadow' } });
    expect(g.summary.filesWritten.map((f) => f.path)).toEqual(expect.arrayContaining([odd, '/tmp/ü ñ.txt']));
    expect(g.summary.network.map((n) => `${n.syscall} ${n.address}`)).toEqual(['bind /tmp/q.sock', 'bind @qabstract', 'sendto 127.0.0.1']);
    expect(g.events.find((e) => e.type === 'fcntl')).toMatchObject({ args: { cmd: 'F_DUPFD_CLOEXEC' }, res: 10, hints: { dup: true } });
    expect(g.events.find((e) => e.type === 'dup3')).toMatchObject({ args: { oldfd: 10, newfd: 20, flags: 'O_CLOEXEC' } });
    // comm "x X exit_group(" does not confuse the line split
    expect(g.events.find((e) => e.type === 'prctl')).toMatchObject({ args: { option: 'PR_SET_NAME' } });
    expect(g.events.find((e) => e.type === 'execve' && e.args.filename === '/nonexistent')).toMatchObject({ res: 'ENOENT' });
    expect(g.events.find((e) => e.type === 'setresuid')).toMatchObject({ args: { ruid: 1000, euid: 1000, suid: 1000 } });
    expect(g.summary.processes.map((p) => p.exitCode ?? p.signal)).toEqual([3, 'SIGKILL']);
  });

  it('sleeper-killed: a task killed at the window gets a procexit with SIGKILL; its blocked call returns ERESTART_RESTARTBLOCK', () => {
    const g = replay(createGvisorParser, gv('sleeper-killed'));
    expect(g.summary.entrypoint).toMatchObject({ started: true, signal: 'SIGKILL' });
    expect(g.events.at(-1)).toMatchObject({ type: 'procexit', args: { sig: 'SIGKILL', status: 9 } });
    expect(g.events.find((e) => e.type === 'clock_nanosleep')).toMatchObject({ res: 'ERESTART_RESTARTBLOCK', rawres: -516 });
  });
});

describe('gVisor parser on edge lines', () => {
  it('joins entry and exit across interleaved tasks; write data comes from the entry line', () => {
    const { events } = parse([
      L('[   2:   2] sh E write(0x1 host:[2], 0x4b36d0 "hi\\n", 0x3)'),
      L('[   3:   3] sh E read(0x0 pipe:[1], 0x7f, 0x80)'),
      L('[   2:   2] sh X write(0x1 host:[2], ..., 0x3) = 3 (0x3) (20µs)'),
      L('[   3:   3] sh X read(0x0 pipe:[1], 0x7f "abc", 0x80) = 3 (0x3) (5µs)'),
    ]);
    expect(events.map((e) => [e.tid, e.type, e.args.data ?? e.args.size])).toEqual([[2, 'write', 'hi\n'], [3, 'read', 3]]);
    expect(events[0]!.fd).toEqual({ num: 1, type: 'pipe', name: 'host:[2]' });
    expect(events[1]!.fd).toEqual({ num: 0, type: 'pipe', name: 'pipe:[1]' });
  });

  it('timestamps: header year and UTC offset, New Year rollover', () => {
    const { events } = parseText((s) => createGvisorParser(s, { initPid: 0 }), [
      '# quarantine gvisor trace v1 container=abc year=2025 utcOffsetMinutes=60',
      `I1231 23:59:59.500000   1 strace.go:1] [   2:   2] a E getpid()`,
      `I1231 23:59:59.500001   1 strace.go:1] [   2:   2] a X getpid() = 2 (0x2) (1µs)`,
      `I0101 00:00:00.250000   1 strace.go:1] [   2:   2] a E getpid()`,
      `I0101 00:00:00.250000   1 strace.go:1] [   2:   2] a X getpid() = 2 (0x2) (1µs)`,
    ].join('\n'));
    expect(events[0]!.ts).toBe((Date.UTC(2025, 11, 31, 22, 59, 59) * 1e6) + 500_001_000);
    expect(events[1]!.ts).toBe((Date.UTC(2025, 11, 31, 23, 0, 0) * 1e6) + 250_000_000);
  });

  it('counts gVisor\'s dropped log messages, exits without entries and enters without exits as lost', () => {
    const { stats } = parse([
      '*** Dropped 7 log messages ***',
      L('[   2:   2] a X close(0x3 /x) = 0 (0x0) (1µs)'),
      L('[   2:   2] a E close(0x4 /y)'),
      L('[   2:   2] a E close(0x5 /z)'),
    ]);
    expect(stats.lost).toBe(7 + 1 + 1);
    expect(stats.detail).toMatchObject({ droppedMessages: 7, orphanExits: 1, unmatchedEnters: 1, unfinishedAtEnd: 1, blockedWhenEnded: 1, asleepWhenEnded: 0 });
  });

  it('counts the threads that ended inside a syscall, and those asleep (dormancy under gVisor)', () => {
    const { stats } = parse([
      L('[   2:   2] a E clock_nanosleep(0x0 CLOCK_REALTIME, 0x0, 0x7ffd6d2d1f10 {sec=600 nsec=0}, 0x7ffd6d2d1f10)'),
      L('[   3:   3] b E pause()'),
      L('[   4:   4] c E accept(0x3 socket:[1], 0x0, 0x0)'),
    ]);
    expect(stats.detail).toMatchObject({ unfinishedAtEnd: 3, blockedWhenEnded: 3, asleepWhenEnded: 2 });
    // Killed at the window's end while asleep: the exit completes the call, and it still counts.
    const killed = parse([
      L('[   2:   2] a E clock_nanosleep(0x0 CLOCK_REALTIME, 0x0, 0x7ffd6d2d1f10 {sec=600 nsec=0}, 0x7ffd6d2d1f10)'),
      L('[   2:   2] Signal 9: terminating thread group', 'task_signals.go:189'),
      L('[   2:   2] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
    ]);
    expect(killed.stats.detail).toMatchObject({ unfinishedAtEnd: 0, blockedWhenEnded: 1, asleepWhenEnded: 1 });
    // As gVisor logs it (captured with runsc --strace, SIGKILL during a 600 s sleep): the call returns
    // interrupted (errno 516) just before the thread group is terminated.
    const logged = parse([
      L('[   1:   1] integrity-dorma E clock_nanosleep(0x0, 0x0, 0x7fdcd6d67c00 {sec=600 nsec=0}, 0x7fdcd6d67c00)', 'strace.go:570'),
      L('[   1:   1] integrity-dorma X clock_nanosleep(0x0, 0x0, 0x7fdcd6d67c00 {sec=600 nsec=0}, 0x7fdcd6d67c00) = 0 (0x0) errno=516 (interrupted by signal) (3.073922736s)', 'strace.go:608'),
      L('[   1:   1] Signal 9: terminating thread group', 'task_signals.go:189'),
      L('[   1:   1] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
    ]);
    expect(logged.stats.detail).toMatchObject({ blockedWhenEnded: 1, asleepWhenEnded: 1 });
    // A sleep that was interrupted and then followed by other calls does not count.
    const resumed = parse([
      L('[   1:   1] a E clock_nanosleep(0x0, 0x0, 0x7f {sec=600 nsec=0}, 0x7f)'),
      L('[   1:   1] a X clock_nanosleep(0x0, 0x0, 0x7f {sec=600 nsec=0}, 0x7f) = 0 (0x0) errno=516 (interrupted by signal) (1s)'),
      L('[   1:   1] a E openat(AT_FDCWD /, 0x4a /etc/shadow, O_RDONLY, 0o0)'),
      L('[   1:   1] a X openat(AT_FDCWD /, 0x4a /etc/shadow, O_RDONLY, 0o0) = 3 (0x3) (5µs)'),
      L('[   1:   1] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
    ]);
    expect(resumed.stats.detail).toMatchObject({ blockedWhenEnded: 0, asleepWhenEnded: 0 });
  });

  it('a path with a newline (printed raw by gVisor) is joined back; ignored and unparsed lines are told apart', () => {
    const { events, stats } = parse([
      L('[   2:   2] a E mkdir(0x47a058 /tmp/d'),
      'ir, 0o755)',
      L('[   2:   2] a X mkdir(0x47a058 /tmp/d'),
      'ir, 0o755) = 0 (0x0) (3µs)',
      L('Platform: ptrace', 'loader.go:539'),
      'garbage',
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'mkdir', args: { path: '/tmp/d\nir', mode: '0755' } });
    expect(stats.detail).toMatchObject({ joinedLines: 2, ignored: 1 });
    expect(stats.unparsed).toBe(1);
  });

  it('task exit lines become procexit with the exit_group status; a terminating signal wins when there is none', () => {
    const { events } = parse([
      L('[   4:   4] a E exit_group(0x7)'),
      L('[   4:   4] a X exit_group(0x7) = 0 (0x0) (1µs)'),
      L('[   4:   4] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
      L('[   4:   5] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
      L('[   6:   6] Signal 15: terminating thread group', 'task_signals.go:189'),
      L('[   6:   6] Transitioning from exit state TaskExitNone to TaskExitInitiated', 'task_exit.go:204'),
    ]);
    const exits = events.filter((e) => e.type === 'procexit').map((e) => [e.pid, e.tid, e.args.ret ?? e.args.sig]);
    expect(exits).toEqual([[4, 4, 7], [4, 5, 7], [6, 6, 'SIGTERM']]);
    expect(events.find((e) => e.type === 'signaldeliver')).toMatchObject({ args: { sig: 'SIGTERM', dpid: 6 } });
  });

  it('a child seen before its parent\'s clone returns is tied to the parent', () => {
    const { events } = parse([
      L('[   2:   2] a E clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, 0x7f, 0x7f, 0x7f, 0x7f)'),
      L('[   2:   3] a E set_robust_list(0x7f, 0x18)'),
      L('[   2:   3] a X set_robust_list(0x7f, 0x18) = 0 (0x0) (1µs)'),
      L('[   2:   2] a X clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, 0x7f, 0x7f, 0x7f, 0x7f) = 3 (0x3) (1µs)'),
    ]);
    expect(events[0]).toMatchObject({ pid: 2, tid: 3, hints: { parentPid: 2 } });
    expect(String(events[0]!.hints!.cloneFlags)).toContain('CLONE_THREAD');
    expect(events[1]).toMatchObject({ type: 'clone', hints: { childPid: 3 } });
  });

  it('argument splitting keeps Go strings, vectors and structs whole and re-joins paths by argument count', () => {
    const out: string[] = [];
    splitGvisorArgs('AT_FDCWD /, 0x1 /a, b, O_RDONLY, 0o0', out, 4);
    expect(out).toEqual(['AT_FDCWD /', '0x1 /a, b', 'O_RDONLY', '0o0']);
    out.length = 0;
    splitGvisorArgs('0x1 ["a, b", "c"], 0x2 {Family: AF_INET, Addr: 1.2.3.4, Port: 9}, 0x10', out);
    expect(out).toEqual(['0x1 ["a, b", "c"]', '0x2 {Family: AF_INET, Addr: 1.2.3.4, Port: 9}', '0x10']);
    expect(unquoteGo('a\\x00\\u00e9\\n\\"', 0, 14, 100, 'utf8')).toBe('a\x00é\n"');
  });

  it('never throws on junk', () => {
    const junk = ['', 'I', 'I1127 ', 'I1127 07:55:10.645421 1 strace.go:1] [', 'I1127 07:55:10.645421 1 strace.go:1] [ 2: 2] a X x() = ',
      'I1399 99:99:99.9 1 strace.go:1] [ 2: 2] a E x()', L('[   2:   2] a E open(0x1 (error decoding path: bad address), 0x0, 0o0)')];
    const { stats } = parse(junk);
    expect(stats.lines).toBe(junk.length);
  });
});

// Keep the type import used (RawEvent in helper signatures).
export type { RawEvent };
