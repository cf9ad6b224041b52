import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../events/event.js';
import { StateTracker } from '../state/state-tracker.js';
import { SYSCALL_SET_NR, cloneFlags, createBpftraceParser, ipv6, octalMode, openFlags, parseSyscallSetRecord, sockType, unescapeBpftraceJson, unhexBuf } from './bpftrace-parser.js';
import { parseText } from './trace-parser.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/ebpf/${name}.bpftrace.json`, import.meta.url)), 'utf8');
const parse = (text: string, window?: number) => parseText((sink) => createBpftraceParser(sink, window === undefined ? {} : { reorderWindow: window }), text);
const rec = (data: string): string => `{"type": "printf", "data": "${data.replace(/\\/g, '\\\\').replace(/\t/g, '\\t')}\\n"}`;
const byType = (events: RawEvent[], type: string) => events.filter((e) => e.type === type);
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };

describe('bpftrace record syntax', () => {
  it('decodes bpftrace JSON escapes, including its sign-extended \\uffffffXX bytes', () => {
    const line = 'a\\tb\\n\\"q\\"\\\\\\u0011caf\\uffffffc3\\uffffffa9';
    expect(unescapeBpftraceJson(line, 0, line.length)).toBe('a\tb\n"q"\\\x11caf\xc3\xa9');
    expect(unhexBuf('\\x7fELF\\x02\\x01hello')).toBe('\x7fELF\x02\x01hello');
  });
  it('spells flags the way strace does', () => {
    expect(openFlags(0o1101)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(openFlags(0o2000000)).toBe('O_RDONLY|O_CLOEXEC');
    expect(openFlags(0o2204000)).toBe('O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY');
    expect(octalMode(0o4755)).toBe('04755');
    expect(octalMode(0o644)).toBe('0644');
    expect(cloneFlags(0x1200011)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(cloneFlags(0x3d0f00)).toBe('CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID');
    expect(sockType(0o2000001)).toBe('SOCK_STREAM|SOCK_CLOEXEC');
    expect(sockType(0o2004001)).toBe('SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK');
    expect(ipv6('0', '100000000000000')).toBe('::1');
    expect(ipv6('b80d0120', '100000000000000')).toBe('2001:db8::1');
    expect(ipv6('0', '4030201ffff0000')).toBe('::ffff:1.2.3.4');
  });
});

describe('BpftraceParser on edge records', () => {
  const begin = rec('B\t1\t1000\t5000000000');
  it('joins S records to their call by (tid, ts) and gives epoch timestamps', () => {
    const { events, stats } = parse([
      begin,
      rec('S\t7\t2000\tname\t/etc/shadow'),
      rec('Y\topenat\t2000\t7\t7\t3\t-100\t524288\t0'),
      rec('S\t7\t3000\tname\t/nope'),
      rec('Y\topenat\t3000\t7\t7\t-2\t-100\t0\t0'),
    ].join('\n'));
    expect(stats).toMatchObject({ events: 2, unparsed: 0 });
    expect(events[0]).toMatchObject({ ts: 5000002000, source: 'ebpf', type: 'openat', res: 3, pid: 7, tid: 7, args: { dirfd: -100, name: '/etc/shadow', flags: 'O_RDONLY|O_CLOEXEC', mode: '000', fd: 3 }, fd: { num: 3, type: 'file', name: '/etc/shadow' } });
    expect(events[1]).toMatchObject({ res: 'ENOENT', rawres: -2, args: { name: '/nope' } });
    expect(events[1]!.fd).toBeUndefined();
  });
  it('prctl: the option by name; the string argument kept only for PR_SET_NAME (the new process name)', () => {
    const { events, stats } = parse([
      begin,
      rec('S\t7\t2000\targ2_str\tkworker/0:1'),
      rec('Y\tprctl\t2000\t7\t7\t0\t15'),
      rec('S\t7\t3000\targ2_str\t'),
      rec('Y\tprctl\t3000\t7\t7\t0\t1'),
    ].join('\n'));
    expect(stats).toMatchObject({ events: 2, unparsed: 0 });
    expect(events[0]).toMatchObject({ type: 'prctl', res: 0, args: { option: 'PR_SET_NAME', arg2_str: 'kworker/0:1' } });
    expect(events[1]!.args).toEqual({ option: 'PR_SET_PDEATHSIG' });
  });
  it('a newline or tab inside a path cannot forge a record', () => {
    const evil = 'x\\nY\\topenat\\t1\\t1\\t1\\t3\\t-100\\t0\\t0';
    const text = [begin, `{"type": "printf", "data": "S\\t7\\t2000\\tname\\t${evil}\\n"}`, rec('Y\topenat\t2000\t7\t7\t3\t-100\t0\t0')].join('\n');
    const { events, stats } = parse(text);
    expect(stats.unparsed).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.args.name).toBe('x\nY\topenat\t1\t1\t1\t3\t-100\t0\t0');
  });
  it('puts records of different CPUs back in timestamp order and gives a child its parent', () => {
    const { events, stats } = parse([
      begin,
      rec('Y\tclose\t4000\t8\t8\t0\t3'), // child, read from CPU 1 first
      rec('F\t2500\t7\t7\t8\t18874385'),
      rec('Y\tclone\t2600\t7\t7\t2\t18874385\t8'),
    ].join('\n'));
    expect(stats.detail.outOfOrder).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['clone', 'close']);
    expect(events[0]).toMatchObject({ res: 2, hints: { childPid: 8, childVpid: 2, cloneFlags: 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD' } });
    expect(events[1]).toMatchObject({ tid: 8, hints: { parentPid: 7, cloneFlags: 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD' } });
  });
  it('decodes sockaddrs (IPv4, IPv6, unix, abstract), exits, exec and lost events', () => {
    const { events, stats } = parse([
      begin,
      rec('Y\tconnect\t2000\t7\t7\t-101\t3\t2\t23569\t1111638594\t0\t0'),
      rec('Y\tconnect\t2001\t7\t7\t-111\t4\t10\t23825\t0\t0\t100000000000000'),
      rec('S\t7\t2002\taddr.path\t/run/docker.sock'),
      rec('Y\tconnect\t2002\t7\t7\t-2\t5\t1\t0\t0\t0\t0'),
      rec('S\t7\t2003\taddr.abstract\tabstr\\x00'),
      rec('Y\tbind\t2003\t7\t7\t0\t6\t1\t0\t0\t0\t0'),
      '{"type": "lost_events", "data": {"events": 12}}',
      rec('S\t7\t2100\tfilename\t/bin/sh'), rec('S\t7\t2100\targv\t/bin/sh'), rec('S\t7\t2100\targv\t-i'), rec('S\t7\t2100\tenv\tHISTFILE=/dev/null'),
      rec('X\t2100\t7\t7\t0\t0\t0\t2\t0'),
      rec('Y\texit_group\t2200\t7\t7\t?\t3'),
      rec('Z\t2201\t7\t7\t768'),
      rec('Z\t2300\t9\t9\t137'),
      rec('E\t3000'),
    ].join('\n'));
    expect(stats.unparsed).toBe(0);
    expect(stats.lost).toBe(0);
    expect(stats.detail).toMatchObject({ perfLost: 12, ended: 1 });
    expect(events[0]).toMatchObject({ res: 'ENETUNREACH', args: { fd: 3, addr: '66.66.66.66:4444' }, hints: { family: 'AF_INET', ip: '66.66.66.66', port: 4444 } });
    expect(events[1]).toMatchObject({ args: { addr: '::1:4445' }, hints: { family: 'AF_INET6', ip: '::1', port: 4445 } });
    expect(events[2]).toMatchObject({ args: { addr: '/run/docker.sock' }, hints: { path: '/run/docker.sock' } });
    expect(events[3]).toMatchObject({ args: { addr: '@abstr' } });
    expect(events[4]).toMatchObject({ type: 'execve', args: { filename: '/bin/sh', args: '-i' }, proc: { args: ['/bin/sh', '-i'], exe: '/bin/sh' }, env: ['HISTFILE=/dev/null'] });
    expect(events[5]).toMatchObject({ type: 'exit_group', res: '?', args: { status: 3 } });
    expect(events[6]).toMatchObject({ type: 'procexit', args: { status: 768, ret: 3 } });
    expect(events[7]).toMatchObject({ type: 'procexit', args: { sig: 'SIGKILL', core: 1 } });
  });
  it('counts what it cannot read, never throws', () => {
    const { stats } = parse(['garbage', rec('Y\tnosuchcall\t1\t1\t1\t0'), rec('Y\topenat\t1'), '{"type": "attached_probes", "data": {"probes": 3}}'].join('\n'));
    expect(stats.unparsed).toBe(3);
    expect(stats.unparsedSamples[0]).toBe('garbage');
  });
});

describe('syscall set (C record)', () => {
  const B = rec('B\t1\t1000\t0\t4096');
  it('gives every number per ABI, sorted, without events; an empty field is an ABI not used', () => {
    const r = parse([B, rec('C\t59,0,1,231,158\t\t2'), rec('E\t2000')].join('\n'));
    expect(r.syscallSet).toEqual({ x86_64: [0, 1, 59, 158, 231], i386: [], x32: [2] });
    expect(r.events).toEqual([]);
    expect(r.stats.unparsed).toBe(0);
    expect(r.stats.detail.syscallSet).toBe(6);
    expect(parse([B, rec('C\t\t\t')].join('\n')).syscallSet).toEqual({ x86_64: [], i386: [], x32: [] });
  });
  it('is absent when the trace has no C record (bpftrace engine, older traces, a tracer that died)', () => {
    const r = parse([B, rec('Y\tsetsid\t1100\t7\t7\t7'), rec('E\t2000')].join('\n'));
    expect(r.syscallSet).toBeUndefined();
    expect(r.events).toHaveLength(1);
  });
  it.each([
    ['too few fields', 'C\t1,2\t3'],
    ['too many fields', 'C\t1\t2\t3\t4'],
    ['not a number', 'C\t1,open\t\t'],
    ['a negative number', 'C\t-1\t\t'],
    ['a leading zero', 'C\t01\t\t'],
    ['a sign', 'C\t+1\t\t'],
    ['a fraction', 'C\t1.5\t\t'],
    ['out of range', `C\t${SYSCALL_SET_NR}\t\t`],
    ['five digits', 'C\t10000\t\t'],
    ['a duplicate', 'C\t\t3,3\t'],
    ['an empty element', 'C\t1,,2\t\t'],
    ['a trailing comma', 'C\t1,\t\t'],
    ['spaces', 'C\t1, 2\t\t'],
    ['over-long', `C\t${'0'.repeat(20_000)}\t\t`],
  ])('rejects a malformed record (%s): counted unparsed, no set', (_name, data) => {
    expect(parseSyscallSetRecord(data)).toBeUndefined();
    const r = parse([B, rec(data)].join('\n'));
    expect(r.syscallSet).toBeUndefined();
    expect(r.stats.unparsed).toBe(1);
  });
  it('accepts the largest record (every number of every ABI) and no more', () => {
    const all = Array.from({ length: SYSCALL_SET_NR }, (_, i) => SYSCALL_SET_NR - 1 - i).join(',');
    const set = parseSyscallSetRecord(`C\t${all}\t${all}\t${all}`)!;
    expect(set.x86_64).toHaveLength(SYSCALL_SET_NR);
    expect(set.x86_64[0]).toBe(0);
    expect(set.x32.at(-1)).toBe(SYSCALL_SET_NR - 1);
    expect(parseSyscallSetRecord(`C\t${all},0\t\t`)).toBeUndefined();
  });
  it('a second C record cannot replace or widen the first', () => {
    const r = parse([B, rec('C\t0,1\t\t'), rec('C\t0,1,2,59\t5\t')].join('\n'));
    expect(r.syscallSet).toEqual({ x86_64: [0, 1], i386: [], x32: [] });
    expect(r.stats.unparsed).toBe(1);
  });
});

describe('BpftraceParser on captured traces (real bpftrace, real sample containers)', () => {
  it('shadow-reader: the entrypoint execve first, /etc/shadow opened, a clean end', () => {
    const { events, stats } = parse(fixture('shadow-reader'));
    expect(stats).toMatchObject({ unparsed: 0, lost: 0 });
    expect(stats.detail.ended).toBe(1);
    expect(events[0]).toMatchObject({ type: 'execve', res: 0, args: { filename: '/usr/local/bin/shadow-reader' } });
    expect(events.find((e) => e.type === 'openat' && e.args.name === '/etc/shadow')).toMatchObject({ res: 3, args: { flags: expect.stringMatching(/^O_RDONLY/) } });
    expect(events.at(-1)).toMatchObject({ type: 'procexit', args: { ret: 0 } });
  });
  it('revshell: socket, connect to 10.66.66.66:4444, dup2 onto 0/1/2, exec /bin/sh -i; the tracker names the fds', () => {
    const { events } = parse(fixture('revshell'));
    expect(events.find((e) => e.type === 'connect')).toMatchObject({ res: 'ENETUNREACH', args: { addr: '10.66.66.66:4444' } });
    expect(byType(events, 'dup2').map((e) => e.args.newfd)).toEqual([0, 1, 2]);
    const tracker = new StateTracker({ sandbox });
    let shell: ReturnType<StateTracker['push']>;
    for (const e of events) { const c = tracker.push(e); if (e.type === 'execve' && e.args.filename === '/bin/sh') shell = c; }
    expect(shell!.event.proc).toMatchObject({ name: 'sh', args: ['/bin/sh', '-i'] });
    expect(shell!.event.fd === undefined || shell!.event.fd.name !== '').toBe(true);
    expect(tracker.finish().network[0]).toMatchObject({ syscall: 'connect', address: '10.66.66.66', port: 4444, result: 'ENETUNREACH' });
  });
  it('memfd-exec: memfd_create, an ELF written to it, execveat(fd, "", AT_EMPTY_PATH) seen as fileless', () => {
    const { events } = parse(fixture('memfd-exec'));
    const m = events.find((e) => e.type === 'memfd_create')!;
    expect(m).toMatchObject({ args: { name: 'kworker' }, fd: { type: 'memfd', name: 'memfd:kworker' } });
    expect(events.some((e) => e.type === 'write' && typeof e.args.data === 'string' && e.args.data.startsWith('\x7fELF'))).toBe(true);
    const tracker = new StateTracker({ sandbox });
    let fileless = false;
    for (const e of events) { const c = tracker.push(e); if (c && (e.type === 'execveat' || e.type === 'execve') && c.proc.exeFromMemfd) fileless = true; }
    expect(fileless).toBe(true);
  });
  it('dropper: the payload written under /tmp, chmod 0755, executed from a forked child', () => {
    const { events } = parse(fixture('dropper'));
    expect(events.some((e) => e.type === 'openat' && e.args.name === '/tmp/.x' && String(e.args.flags).includes('O_CREAT'))).toBe(true);
    expect(events.some((e) => (e.type === 'chmod' || e.type === 'fchmodat') && e.args.mode === '0755')).toBe(true);
    const exec = events.find((e) => e.type === 'execve' && e.args.filename === '/tmp/.x')!;
    expect(exec.tid).not.toBe(events[0]!.tid);
    const tracker = new StateTracker({ sandbox });
    let written = false;
    for (const e of events) { const c = tracker.push(e); if (e === exec) written = c!.proc.exeWritten; }
    expect(written).toBe(true);
  });
  it('benign traces parse completely', () => {
    for (const name of ['hello', 'tmpwriter', 'shell-script', 'etc-writer']) {
      const { stats, events } = parse(fixture(name));
      expect({ name, unparsed: stats.unparsed, ended: stats.detail.ended }).toEqual({ name, unparsed: 0, ended: 1 });
      expect(events[0]!.type).toBe('execve');
    }
  });
});
