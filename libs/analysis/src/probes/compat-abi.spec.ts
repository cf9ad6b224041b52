import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileRules } from '../rules/index.js';
import { StateTracker } from '../state/state-tracker.js';
import { createBpftraceParser } from './bpftrace-parser.js';
import { createStraceParser } from './strace-parser.js';
import { parseText } from './trace-parser.js';

// 32-bit syscall ABIs: both probes turn them into `compat_syscall` events, and the shipped rule
// `32-bit or x32 Syscall ABI Used` (sandbox-profiles/rules/probe.yaml) fires on them only.
const rec = (data: string): string => `{"type": "printf", "data": "${data.replace(/\t/g, '\\t')}\\n"}`;
const sandbox = { containerId: 'c', containerName: 'n', image: 'i', imageRepository: 'i', imageTag: 'latest', imageDigest: '', privileged: false, mounts: [] };
const RULES = fileURLToPath(new URL('../../../../sandbox-profiles/rules/probe.yaml', import.meta.url));
const rules = compileRules([{ name: 'probe.yaml', text: readFileSync(RULES, 'utf8') }]);

function fired(events: ReturnType<typeof parseText>['events']): string[] {
  const t = new StateTracker({ sandbox, showWrapperEvents: true });
  return events.flatMap((e) => { const c = t.push(e); return c ? rules.evaluate(c).map((m) => `${m.rule}: ${m.output}`) : []; });
}

describe('libbpf engine A records', () => {
  it('become compat_syscall events (with the i386 call\'s name), then the decoded call follows', () => {
    const { events, stats } = parseText(createBpftraceParser, [
      rec('B\t1\t1000\t0\t4096'),
      rec('A\t2000\t7\t7\ti386\t5'),
      rec('S\t7\t2001\tname\t/etc/shadow'),
      rec('Y\topen\t2001\t7\t7\t3\t0\t0'),
      rec('A\t3000\t7\t7\tx32\t1073741826'),
    ].join('\n'));
    expect(stats.unparsed).toBe(0);
    expect(events.map((e) => [e.type, e.args])).toEqual([
      ['compat_syscall', { abi: 'i386', nr: 5, syscall: 'open' }],
      ['open', { name: '/etc/shadow', flags: 'O_RDONLY', mode: '000', fd: 3 }],
      ['compat_syscall', { abi: 'x32', nr: 1073741826 }],
    ]);
    expect(fired(events)).toHaveLength(2);
    expect(fired(events)[0]).toMatch(/^32-bit or x32 Syscall ABI Used: Syscall through the i386 ABI \(nr=5 /);
  });
  it('an A record with an unknown ABI is unparsed, not an event', () => {
    const { events, stats } = parseText(createBpftraceParser, [rec('B\t1\t1000\t0\t4096'), rec('A\t2000\t7\t7\tarm\t5')].join('\n'));
    expect(events).toEqual([]);
    expect(stats.unparsed).toBe(1);
  });
});

describe('strace personality messages', () => {
  it('a switch into 32-bit or x32 mode is a compat_syscall event; back to 64-bit is not', () => {
    const { events, stats } = parseText(createStraceParser, [
      '9 1.0 [ Process PID=9 runs in 32 bit mode. ]',
      '9 1.1 open("/etc/shadow", O_RDONLY) = 3</etc/shadow>',
      '9 1.2 [ Process PID=9 runs in x32 mode. ]',
      '9 1.3 [ Process PID=9 runs in 64 bit mode. ]',
      '9 1.4 [ Process PID=9 runs in 16 bit mode. ]',
    ].join('\n'));
    expect(events.map((e) => [e.type, e.args.abi ?? e.args.name])).toEqual([['compat_syscall', 'i386'], ['open', '/etc/shadow'], ['compat_syscall', 'x32']]);
    expect(stats.unparsed).toBe(1);
    expect(fired(events)).toHaveLength(2);
  });
  it('i386 names whose x86_64 twin takes the same arguments are renamed (setuid32 → setuid, fcntl64 → fcntl)', () => {
    const { events } = parseText(createStraceParser, [
      '9 1.0 [ Process PID=9 runs in 32 bit mode. ]',
      '9 1.1 setuid32(0) = 0',
      '9 1.2 fcntl64(3</etc/hosts>, F_GETFD) = 0',
      '9 1.3 chown32("/etc/passwd", 0, 0) = 0',
    ].join('\n'));
    expect(events.map((e) => e.type)).toEqual(['compat_syscall', 'setuid', 'fcntl', 'chown']);
    expect(events[3]!.args).toMatchObject({ path: '/etc/passwd', uid: 0, gid: 0 });
  });
  it('ordinary 64-bit calls do not fire the rule', () => {
    const { events } = parseText(createStraceParser, '9 1.1 open("/etc/hosts", O_RDONLY) = 3</etc/hosts>');
    expect(fired(events)).toEqual([]);
  });
});
