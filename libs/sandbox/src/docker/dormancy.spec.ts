import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActivitySnapshot, DormancyWatch, type TaskState, classify, countListening, countUnixListening, earliestWake, parseStat, parseSyscallLine } from './dormancy.js';
import { WindowKeeper } from './window-keeper.js';

/** A fake /proc with the files the watch reads (layout and formats of Linux 6.1's). */
function fakeProc() {
  const root = mkdtempSync(join(tmpdir(), 'q-proc-'));
  const task = (tid: number, o: { comm?: string; state?: string; syscall: string; nvcsw?: number; tgid?: number; mem?: [number, bigint, bigint]; fds?: Record<number, string>; fdinfo?: Record<number, string> }) => {
    const d = join(root, String(tid));
    mkdirSync(join(d, 'fd'), { recursive: true });
    mkdirSync(join(d, 'fdinfo'), { recursive: true });
    mkdirSync(join(d, 'net'), { recursive: true });
    writeFileSync(join(d, 'stat'), `${tid} (${o.comm ?? 'sample'}) ${o.state ?? 'S'} 1 ${tid} ${tid} 0 -1 4194560 0 0`);
    writeFileSync(join(d, 'status'), `Name:\t${o.comm ?? 'sample'}\nTgid:\t${o.tgid ?? tid}\nvoluntary_ctxt_switches:\t${o.nvcsw ?? 3}\nnonvoluntary_ctxt_switches:\t0\n`);
    writeFileSync(join(d, 'syscall'), `${o.syscall}\n`);
    const mem = Buffer.alloc(0x2000);
    if (o.mem) {
      mem.writeBigInt64LE(o.mem[1], o.mem[0]);
      mem.writeBigInt64LE(o.mem[2], o.mem[0] + 8);
    }
    writeFileSync(join(d, 'mem'), mem);
    for (const [fd, target] of Object.entries(o.fds ?? {})) symlinkSync(target, join(d, 'fd', fd));
    for (const [fd, text] of Object.entries(o.fdinfo ?? {})) writeFileSync(join(d, 'fdinfo', fd), text);
    writeFileSync(join(d, 'net', 'tcp'), '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n');
    writeFileSync(join(d, 'net', 'unix'), 'Num       RefCount Protocol Flags    Type St Inode Path\n');
  };
  return { root, task };
}

const SP = '0x7ffd719583f0 0x401000';

describe('dormancy: /proc parsing', () => {
  it('parses syscall, stat and socket tables', () => {
    expect(parseSyscallLine(`230 0x0 0x0 0x1000 0x0 0x0 0x0 ${SP}`)).toEqual({ nr: 230, args: [0n, 0n, 0x1000n, 0n, 0n, 0n] });
    expect(parseSyscallLine('running')).toBe('running');
    expect(parseSyscallLine(`-1 ${SP}`)).toBe('running');
    expect(parseSyscallLine('')).toBeNull();
    expect(parseStat('42 (a (weird) name) S 1 42')).toEqual({ comm: 'a (weird) name', state: 'S' });
    const tcp = '  sl  local_address rem_address   st\n   0: 00000000:1F90 00000000:0000 0A 00000000:00000000\n   1: 0100007F:9C40 0100007F:1F90 01 0';
    expect(countListening(tcp, '  sl  local_address\n')).toBe(1);
    expect(countListening('hdr\n', 'hdr\n   0: 00000000:0035 00000000:0000 07 0\n   1: 00000000:0000 00000000:0000 07 0')).toBe(1);
    expect(countUnixListening('Num RefCount Protocol Flags Type St Inode Path\nffff: 00000002 00000000 00010000 0001 01 123 /run/app.sock\nffff: 00000003 00000000 00000000 0001 03 124')).toBe(1);
  });
});

describe('DormancyWatch', () => {
  it('classifies sleeps (with their length), descriptor waits and running tasks', async () => {
    const p = fakeProc();
    p.task(10, { syscall: `35 0x1000 0x0 0x0 0x0 0x0 0x0 ${SP}`, mem: [0x1000, 600n, 0n] }); // nanosleep 600 s
    p.task(11, { syscall: `230 0x0 0x0 0x1000 0x0 0x0 0x0 ${SP}`, mem: [0x1000, 4n, 500_000_000n] }); // clock_nanosleep 4.5 s
    p.task(12, { syscall: `34 0x0 0x0 0x0 0x0 0x0 0x0 ${SP}` }); // pause
    p.task(13, { syscall: `7 0x0 0x0 0xffffffffffffffff 0x0 0x0 0x0 ${SP}` }); // poll(NULL, 0, -1)
    p.task(14, { syscall: `232 0x5 0x1000 0x10 0xffffffffffffffff 0x0 0x0 ${SP}`, fds: { 5: 'anon_inode:[eventpoll]', 6: 'anon_inode:[timerfd]' }, fdinfo: { 5: 'pos:\t0\nflags:\t02\ntfd:        6 events:       19 data: 6\n' } });
    p.task(15, { syscall: `232 0x5 0x1000 0x10 0xffffffffffffffff 0x0 0x0 ${SP}`, fds: { 5: 'anon_inode:[eventpoll]', 7: 'socket:[1234]' }, fdinfo: { 5: 'tfd:        7 events:       19 data: 7\n' } });
    p.task(16, { syscall: `43 0x3 0x0 0x0 0x0 0x0 0x0 ${SP}` }); // accept
    p.task(17, { syscall: `61 0xffffffffffffffff 0x0 0x0 0x0 0x0 0x0 ${SP}` }); // wait4
    p.task(18, { state: 'R', syscall: 'running' });
    const watch = new DormancyWatch(async () => [10, 11, 12, 13, 14, 15, 16, 17, 18], 1, p.root, 'x64');
    const snap = await watch.sample(1_000_000);
    const kinds = Object.fromEntries(snap.tasks.map((t) => [t.tid, [t.kind, t.syscall, t.sleepSeconds]]));
    expect(kinds).toEqual({
      10: ['sleeping', 'nanosleep', 600],
      11: ['sleeping', 'clock_nanosleep', 4.5],
      12: ['sleeping', 'pause', Infinity],
      13: ['sleeping', 'poll', undefined],
      14: ['sleeping', 'epoll_wait', undefined],
      15: ['io', 'epoll_wait', undefined],
      16: ['accept', 'accept', undefined],
      17: ['neutral', 'wait4', undefined],
      18: ['running', 'running', undefined],
    });
    expect(snap.activity).toBe('active');
  });

  it('is sleeping when every task sleeps or waits for one that does; notices a sleeper that woke', async () => {
    const p = fakeProc();
    p.task(20, { comm: 'sh', syscall: `61 0xffffffffffffffff 0x0 0x0 0x0 0x0 0x0 ${SP}` });
    p.task(21, { comm: 'sleep', syscall: `230 0x0 0x0 0x1000 0x0 0x0 0x0 ${SP}`, mem: [0x1000, 600n, 0n], nvcsw: 5 });
    const watch = new DormancyWatch(async () => [1, 20, 21], 1, p.root, 'x64');
    const first = await watch.sample();
    expect(first).toMatchObject({ activity: 'sleeping', listening: 0 });
    expect(first.detail).toMatch(/all 2 task\(s\) asleep: sleep\[21\] in clock_nanosleep/);
    expect(watch.woke).toBeUndefined();
    p.task(21, { comm: 'sleep', syscall: `230 0x0 0x0 0x1000 0x0 0x0 0x0 ${SP}`, mem: [0x1000, 60n, 0n], nvcsw: 7 });
    await watch.sample();
    expect(watch.woke).toBe('sleep[21]');
  });

  it('reports an architecture it cannot read as undetermined', async () => {
    const snap = await new DormancyWatch(async () => [1], 0, '/proc', 'arm64').sample();
    expect(snap.activity).toBe('undetermined');
  });
});

describe('classify', () => {
  const t = (kind: TaskState['kind'], syscall = 'x'): TaskState => ({ tid: 1, tgid: 1, comm: 'c', kind, syscall, nvcsw: 0 });
  it('serving needs a listening socket and a task waiting on descriptors', () => {
    expect(classify([t('accept', 'accept'), t('sleeping')], 1).activity).toBe('serving');
    expect(classify([t('io', 'epoll_wait')], 2).activity).toBe('serving');
    expect(classify([t('io', 'read')], 0).activity).toBe('waiting');
    expect(classify([t('sleeping')], 3).activity).toBe('sleeping');
    expect(classify([t('neutral', 'futex')], 0).activity).toBe('waiting');
    expect(classify([], 0).activity).toBe('exited');
  });
  it('earliest wake: relative sleeps from release, absolute ones as given, unknown is unknown', () => {
    const s = (o: Partial<TaskState>): TaskState => ({ ...t('sleeping'), ...o });
    expect(earliestWake([s({ sleepSeconds: 600 }), s({ sleepSeconds: Infinity })], 1000)).toBe(601_000);
    expect(earliestWake([s({ untilMs: 5000 }), t('neutral')], 0)).toBe(5000);
    expect(earliestWake([s({ sleepSeconds: Infinity })], 0)).toBe(Infinity);
    expect(earliestWake([s({}), s({ sleepSeconds: 1 })], 0)).toBeUndefined();
  });
});

/** A watch whose snapshots the test scripts. */
function scripted(snaps: ((n: number) => Partial<ActivitySnapshot>) , woke: (n: number) => string | undefined = () => undefined) {
  let n = 0;
  let current: string | undefined;
  return {
    get woke() {
      return current;
    },
    async sample() {
      n++;
      current = woke(n);
      return { atMs: Date.now(), activity: 'sleeping', tasks: [], listening: 0, detail: 'd', ...snaps(n) } as ActivitySnapshot;
    },
  } as unknown as DormancyWatch;
}

function keeper(watch: DormancyWatch | undefined, windowMs: number, maxWindowMs: number) {
  return new Promise<{ ended: boolean; outcome: ReturnType<WindowKeeper['outcome']>; ms: number }>((resolve) => {
    const t0 = Date.now();
    let k: WindowKeeper;
    let guard: NodeJS.Timeout | undefined;
    const finish = (ended: boolean) => {
      clearTimeout(guard);
      k.stop();
      resolve({ ended, outcome: k.outcome(Date.now(), ended ? 'window' : 'exit'), ms: Date.now() - t0 });
    };
    k = new WindowKeeper({ windowMs, maxWindowMs, releasedAtMs: t0, watch, end: () => finish(true), sampleMs: 20, extendPollMs: 20 });
    k.start();
    guard = setTimeout(() => finish(false), maxWindowMs + 1000);
  });
}

describe('WindowKeeper', () => {
  const sleeper = (secs: number): TaskState => ({ tid: 5, tgid: 5, comm: 's', kind: 'sleeping', syscall: 'nanosleep', nvcsw: 1, sleepSeconds: secs });

  it('ends at the window when the sample is active, serving or waiting', async () => {
    for (const activity of ['active', 'serving', 'waiting'] as const) {
      const r = await keeper(scripted(() => ({ activity })), 50, 400);
      expect(r).toMatchObject({ ended: true, outcome: { activity, dormant: false, extendedMs: 0 } });
      expect(r.ms).toBeLessThan(300);
    }
  });

  it('ends dormant at once when every sleeper wakes after the maximum', async () => {
    const r = await keeper(scripted(() => ({ tasks: [sleeper(600)] })), 50, 2000);
    expect(r).toMatchObject({ ended: true, outcome: { activity: 'dormant', dormant: true } });
    expect(r.outcome.detail).toMatch(/past the maximum window/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('extends while only sleeping, and ends dormant at the maximum', async () => {
    const r = await keeper(scripted(() => ({ tasks: [sleeper(0.1)] })), 50, 300);
    expect(r).toMatchObject({ ended: true, outcome: { activity: 'dormant', dormant: true } });
    expect(r.outcome.extendedMs).toBeGreaterThanOrEqual(200);
    expect(r.outcome.detail).toMatch(/still asleep at the maximum window/);
  });

  it('stops extending once the sleeper woke and slept again (periodic), or keeps watching it act', async () => {
    const periodic = await keeper(scripted((n) => ({ tasks: [sleeper(0.1)] }), (n) => (n > 4 ? 'cron[7]' : undefined)), 50, 3000);
    expect(periodic).toMatchObject({ ended: true, outcome: { activity: 'periodic', dormant: false } });
    expect(periodic.ms).toBeLessThan(1500);
    const acting = await keeper(scripted((n) => (n > 4 ? { activity: 'active' } : { tasks: [sleeper(0.1)] }), (n) => (n > 4 ? 'x[1]' : undefined)), 50, 500);
    expect(acting).toMatchObject({ ended: true, outcome: { activity: 'active', dormant: false } });
    expect(acting.ms).toBeGreaterThanOrEqual(450);
  });

  it('without a host view (gVisor), ends at the window and says dormancy is undetermined', async () => {
    const r = await keeper(undefined, 50, 5000);
    expect(r).toMatchObject({ ended: true, outcome: { activity: 'undetermined', dormant: false, extendedMs: 0 } });
  });
});
