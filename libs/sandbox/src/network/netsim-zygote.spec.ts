import { LineSplitter, NETSIM_MARK, attachRequest, parseExitLine, parseReply, simRequest, zygoteConfig } from './netsim-zygote.js';

// The zygote protocol's Node side (netsim-zygote.ts); the Python side's parser and rtnetlink
// builders are tested in test_netsim.py, and the two together in simulated-network.integration-spec.ts.
describe('netsim zygote protocol', () => {
  it('builds a simulator request the zygote accepts: a whole-second lifetime and the reaper deadline', () => {
    const line = simRequest(12.2, new Date('2026-12-06T08:00:00.000Z'));
    expect(line).toBe('sim {"lifetime":13,"deadline":"2026-12-06T08:00:00.000Z"}\n');
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => simRequest(bad, new Date())).toThrow(/lifetime/);
  });

  it('builds attach requests only from two real pids (never 0, 1, negative or fractional)', () => {
    expect(attachRequest(4242, 777)).toBe('attach 4242 777\n');
    for (const [a, b] of [[0, 5], [5, 1], [-3, 5], [5, 2.5], [Number.NaN, 5]]) expect(() => attachRequest(a!, b!)).toThrow(/bad pid/);
  });

  it('parses replies and exit reports, and nothing else as either', () => {
    expect(parseReply('ready 123')).toEqual({ kind: 'ready', pid: 123 });
    expect(parseReply('ok')).toEqual({ kind: 'ok' });
    expect(parseReply('error process 5 is not a simulator')).toEqual({ kind: 'error', message: 'process 5 is not a simulator' });
    expect(parseReply('error ' + 'x'.repeat(5000))).toMatchObject({ kind: 'error', message: 'x'.repeat(400) });
    for (const other of ['ready', 'ready -1', 'ready 12345678901', 'ok 1 2', '{"v":1}', '']) expect(parseReply(other).kind).toBe('other');
    expect(parseExitLine('exit 991 SIGKILL')).toEqual({ pid: 991, how: 'SIGKILL' });
    expect(parseExitLine('exit 991 code 3')).toEqual({ pid: 991, how: 'code 3' });
    for (const bad of ['exit 991', 'exit x SIGKILL', 'exit 991 SIGKILL; rm -rf /', 'exit 991 code', 'ready']) expect(parseExitLine(bad)).toBeUndefined();
  });

  it('splits lines across chunks and drops an over-long line whole, never buffering past its cap', () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 16);
    s.push('ab');
    s.push('c\nde');
    s.push('f\n');
    s.push('x'.repeat(40));
    s.push('tail-of-long\nnext\n');
    expect(got).toEqual(['abc', 'def', 'next']);
  });

  it('gives the zygote its configuration with room for a child to rewrite its argument', () => {
    const cfg = zygoteConfig({ assetsDir: '/opt/q/netsim' }, 'quarantine-netsim-1-abc');
    expect(cfg).toMatchObject({ mark: NETSIM_MARK, role: 'zygote', socket: 'quarantine-netsim-1-abc', chroot: '/opt/q/netsim/root', uid: 65534, ip4: '192.168.100.1', peer4: '192.168.100.2', ip6: null });
    // No deadline: the reaper never kills a zygote (it ends with its worker's pipe).
    expect(cfg).not.toHaveProperty('deadline');
    const childArg = JSON.stringify({ mark: NETSIM_MARK, role: 'sim', deadline: new Date(8.64e15).toISOString() });
    expect(JSON.stringify(cfg).length).toBeGreaterThan(childArg.length + 100);
  });
});
