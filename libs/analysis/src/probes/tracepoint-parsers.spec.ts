import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules } from '../rules/index.js';
import { analyzeTrace } from '../pipeline/analyze-trace.js';
import { createFtraceParser } from './ftrace-parser.js';
import { createPerfParser, perfValue } from './perf-parser.js';
import { parseText, type RawEventSink, type TraceParser } from './trace-parser.js';
import { cloneFlags, octalMode, openFlags, sockType, TRACEPOINT_UNAVAILABLE_FIELDS } from './tracepoint-events.js';

const dir = join(process.cwd(), 'libs/analysis/src/probes/__fixtures__');
const rulesText = readFileSync(join(process.cwd(), 'sandbox-profiles/rules/quarantine-rules.yaml'), 'utf8');
const unavailable = new Set(TRACEPOINT_UNAVAILABLE_FIELDS);
const rules = compileRules([{ name: 'quarantine-rules.yaml', text: rulesText }], { unavailableFields: unavailable });

async function run(make: (s: RawEventSink) => TraceParser, file: string) {
  const text = readFileSync(join(dir, file), 'utf8');
  async function* lines() { for (const l of text.split('\n')) yield l; }
  const root = Number(/# quarantine-root-pid (\d+)/.exec(text)![1]);
  const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };
  const r = await analyzeTrace({ lines: lines(), createParser: make, tracker: { sandbox, initial: { pid: root } }, rules });
  return { ...r, rules: r.findings.map((f) => f.rule).sort() };
}

describe.each([
  ['perf', createPerfParser],
  ['ftrace', createFtraceParser],
] as const)('%s parser on captured traces', (probe, make) => {
  it('benign shell entrypoint: exec seen first, every fork followed, nothing fires, nothing unparsed', async () => {
    const r = await run(make, `${probe}/shell-script.${probe}`);
    expect(r.parser.unparsed).toBe(0);
    expect(r.parser.lost).toBe(0);
    expect(r.parser.detail.firstIsExec).toBe(1);
    expect(r.summary.entrypoint).toMatchObject({ started: true, exe: '/docker-entrypoint.sh', exitCode: 0 });
    expect(r.summary.processes.length).toBe(7);
    expect(r.summary.stats.orphans).toBe(0);
    expect(r.rules).toEqual([]);
  });

  it('memfd-exec: fileless execution from the memfd fd number', async () => {
    const r = await run(make, `${probe}/memfd-exec.${probe}`);
    expect(r.rules).toContain('Fileless Execution From Memory');
    expect(r.summary.processes[0]!.execs.some((e) => e.fromMemfd)).toBe(true);
  });

  it('revshell: socket dup2 onto 0/1/2 then /bin/sh', async () => {
    const r = await run(make, `${probe}/revshell.${probe}`);
    expect(r.rules).toContain('Outbound Socket Redirected to Standard Streams');
    expect(r.summary.processes[0]!.execs.map((e) => e.exepath)).toContain('/bin/sh');
  });

  it('dropper: exec of /tmp/.x by its exec filename', async () => {
    const r = await run(make, `${probe}/dropper.${probe}`);
    expect(r.rules).toEqual(expect.arrayContaining(['Execution From Temporary Directory', 'Hidden File Executed']));
  });
});

describe('rules the tracepoint probes cannot evaluate', () => {
  it('lists path, address and argv rules as not evaluated, with the missing fields', () => {
    const ne = new Map(rules.notEvaluated.map((n) => [n.rule, n.reason]));
    expect(ne.get('Password Hash File Read')).toMatch(/fd\.name/);
    expect(ne.get('Outbound Connection Attempt')).toMatch(/fd\.snet/);
    expect(ne.get('Reverse Shell Command Line')).toMatch(/proc\.args|proc\.cmdline/);
    expect(ne.get('Drop and Execute')).toMatch(/proc\.is_exe_upper_layer/);
    for (const r of ['Fileless Execution From Memory', 'Outbound Socket Redirected to Standard Streams', 'Ptrace Attach to Process',
      'Namespace Creation Attempt', 'Packet Socket Created', 'BPF Program Load Attempt', 'Sandbox Process Limit Reached']) {
      expect(rules.ruleNames).toContain(r);
    }
  });
});

describe('ftrace line handling', () => {
  const head = '# quarantine-root-pid 10\n';
  it('decodes integer arguments into strace notation and errno results', () => {
    const { events } = parseText(createFtraceParser, head + [
      '  a-10   (  10) [000] .....  1.000001: sys_openat(dfd: 0xffffff9c, filename: 0x1, flags: 0x80241, mode: 0x1a4)',
      '  a-10   (  10) [000] .....  1.000002: sys_openat -> 0xfffffffffffffffe',
      '  a-10   (  10) [000] .....  1.000003: sys_ptrace(request: 0x10, pid: 0x2a, addr: 0, data: 0)',
      '  a-10   (  10) [000] .....  1.000004: sys_ptrace -> 0x0',
      '  a-10   (  10) [000] .....  1.000005: sys_unshare(unshare_flags: 0x20000)',
      '  a-10   (  10) [000] .....  1.000006: sys_unshare -> 0xffffffffffffffff',
    ].join('\n'));
    expect(events[0]).toMatchObject({ type: 'openat', res: 'ENOENT', rawres: -2, args: { dirfd: -100, flags: 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC', mode: '0644' } });
    expect(events[1]).toMatchObject({ type: 'ptrace', res: 0, args: { request: 'PTRACE_ATTACH', pid: 42 } });
    expect(events[2]).toMatchObject({ type: 'unshare', res: 'EPERM', args: { flags: 'CLONE_NEWNS' } });
  });

  it('drops repeated lines and events outside the root tree, counts LOST markers as detail', () => {
    const l = '  a-10   (  10) [000] .....  1.000001: sys_close(fd: 0x3)';
    const { events, stats } = parseText(createFtraceParser, head + [l, l, '  a-10   (  10) [000] .....  1.000002: sys_close -> 0x0',
      '  b-99   (  99) [000] .....  1.000003: sys_close(fd: 0x3)', 'CPU:1 [LOST 7 EVENTS]'].join('\n'));
    expect(events).toHaveLength(1);
    expect(stats.detail.duplicates).toBe(1);
    expect(stats.detail.outOfScope).toBe(1);
    expect(stats.detail.lostInMarkers).toBe(7);
    expect(stats.unparsed).toBe(0);
  });
});

describe('perf line handling', () => {
  it('reads symbolic values and ignores racy fd annotations and host comms after results', () => {
    expect(perfValue('openat', 'flags', 'CREAT|TRUNC|WRONLY')).toBe(0o1101);
    expect(perfValue('openat', 'dfd', 'CWD')).toBe(-100);
    expect(perfValue('clone', 'clone_flags', 'CHILD_CLEARTID|CHILD_SETTID|0x11')).toBe(0x1200011);
    expect(perfValue('write', 'fd', '3</memfd:kworker (deleted)>')).toBe(3);
    const { events, stats } = parseText(createPerfParser, [
      '2.000 ( 0.010 ms): a/10 socket(family: INET, type: STREAM)   = 3',
      '2.001 ( 0.010 ms): a/10 connect(fd: 3, uservaddr: 0x7fff, addrlen: 16)   = -1 ENETUNREACH (Network is unreachable)',
      '2.002 ( 0.010 ms): a/10 dup2(oldfd: 3)   = 0',
      '2.003 ( 0.010 ms): a/10 getppid()   = 1 (process_api)',
      'LOST 5 events!',
    ].join('\n'));
    expect(events[0]).toMatchObject({ type: 'socket', res: 3, args: { domain: 'AF_INET', type: 'SOCK_STREAM' }, fd: { num: 3, type: 'ipv4' } });
    expect(events[1]).toMatchObject({ type: 'connect', res: 'ENETUNREACH', args: { fd: 3 } });
    expect(events[2]).toMatchObject({ type: 'dup2', res: 0, args: { oldfd: 3, newfd: 0 } });
    expect(events[3]).toMatchObject({ type: 'getppid', res: 1 });
    expect(stats.lost).toBe(5);
  });
});

describe('numeric decoding', () => {
  it('matches strace notation', () => {
    expect(openFlags(0)).toBe('O_RDONLY');
    expect(openFlags(0o2000002)).toBe('O_RDWR|O_CLOEXEC');
    expect(cloneFlags(0x1200011)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(cloneFlags(0x10000000 | 0x20000)).toBe('CLONE_NEWNS|CLONE_NEWUSER');
    // The same decoders as the bpftrace parser (linux-constants.ts): octal modes, O_LARGEFILE shown, CLOEXEC before NONBLOCK.
    expect(octalMode(0o4755)).toBe('04755');
    expect(openFlags(0o100000)).toBe('O_RDONLY|O_LARGEFILE');
    expect(sockType(0o2004001)).toBe('SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK');
  });
});
