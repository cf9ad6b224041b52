import { createBpftraceParser } from './bpftrace-parser.js';
import { createGvisorParser } from './gvisor-parser.js';
import { createStraceParser } from './strace-parser.js';
import { parseText } from './trace-parser.js';

// Every parser marks the arguments its probe cut (RawEvent.truncatedArgs), so rules reading them
// are reported as not evaluated instead of "did not match" (rules/truncation.ts).

const rec = (data: string): string => `{"type": "printf", "data": "${data.replace(/\\/g, '\\\\').replace(/\t/g, '\\t')}\\n"}`;
const bt = (lines: string[]) => parseText(createBpftraceParser, lines.join('\n')).events;
const PADDED = `${'/.'.repeat(70)}/etc/shadow`; // 151 bytes

describe('bpftrace / libbpf records', () => {
  it('bpftrace engine (no cap in B): a 127-byte string is cut, a shorter one is not', () => {
    const cut = PADDED.slice(0, 127);
    const events = bt([
      rec('B\t1\t1000\t0'),
      rec(`S\t7\t2000\tname\t${cut}`),
      rec('Y\topenat\t2000\t7\t7\t3\t-100\t0\t0'),
      rec('S\t7\t3000\tname\t/etc/shadow'),
      rec('Y\topenat\t3000\t7\t7\t4\t-100\t0\t0'),
    ]);
    expect(events[0]!.args.name).toBe(cut);
    expect(events[0]!.truncatedArgs).toEqual(['name']);
    expect(events[1]!.truncatedArgs).toBeUndefined();
  });

  it('libbpf engine (cap 4096 in B): a padded 151-byte path is whole and unmarked; a 4095-byte one is marked', () => {
    const long = `/${'a'.repeat(4094)}`;
    const events = bt([
      rec('B\t1\t1000\t0\t4096'),
      rec(`S\t7\t2000\tname\t${PADDED}`),
      rec('Y\topenat\t2000\t7\t7\t3\t-100\t0\t0'),
      rec(`S\t7\t3000\tname\t${long}`),
      rec('Y\topenat\t3000\t7\t7\t-36\t-100\t0\t0'),
    ]);
    expect(events[0]!.args.name).toBe(PADDED);
    expect(events[0]!.truncatedArgs).toBeUndefined();
    expect(events[1]!.truncatedArgs).toEqual(['name']);
  });

  it('an exec with fewer argv strings than argc, or a cut environment, is marked', () => {
    const events = bt([
      rec('B\t1\t1000\t0\t4096'),
      rec('S\t7\t2000\tfilename\t/bin/sh'),
      rec('S\t7\t2000\targv\tsh'),
      rec('S\t7\t2000\targv\t-c'),
      rec('S\t7\t2000\tenv\tPATH=/bin'),
      rec('X\t2000\t7\t7\t0\t0\t0\t3\t1'),
      rec('S\t7\t3000\tfilename\t/bin/true'),
      rec('S\t7\t3000\targv\ttrue'),
      rec('X\t3000\t7\t7\t0\t0\t0\t1\t0'),
    ]);
    expect(events[0]!.truncatedArgs?.sort()).toEqual(['argv', 'env']);
    expect(events[1]!.truncatedArgs).toBeUndefined();
  });

  it('captured write buffers at the data cap are marked as data (a prefix by design)', () => {
    const events = bt([rec('B\t1\t1000\t0\t4096'), rec(`S\t7\t2000\tdata\t${'x'.repeat(128)}`), rec('Y\twrite\t2000\t7\t7\t500\t1\t500')]);
    expect(events[0]!.truncatedArgs).toEqual(['data']);
  });
});

describe('strace', () => {
  it('marks a path cut at -s (`"…"...`), an argv and an environment with `...`', () => {
    const { events } = parseText(createStraceParser, [
      `9 1.0 openat(AT_FDCWD</>, "${PADDED.slice(0, 32)}"..., O_RDONLY) = 3</etc/shadow>`,
      '9 1.1 openat(AT_FDCWD</>, "/etc/hosts", O_RDONLY) = 4</etc/hosts>',
      '9 2.0 execve("/bin/sh", ["sh", "-c"], ["A=1", ...]) = 0',
      '9 2.1 prctl(PR_SET_NAME, "jemalloc_bg_thd"...) = 0',
    ].join('\n'));
    expect(events[3]!.args).toMatchObject({ option: 'PR_SET_NAME', arg2_str: 'jemalloc_bg_thd' });
    expect(events[3]!.truncatedArgs).toBeUndefined(); // the kernel keeps 15 bytes of a thread name: nothing hidden
    expect(events[0]!.truncatedArgs).toEqual(['name']);
    expect(events[0]!.fd?.name).toBe('/etc/shadow');
    expect(events[1]!.truncatedArgs).toBeUndefined();
    expect(events[2]!.truncatedArgs).toEqual(['env']);
  });
});

describe('gVisor', () => {
  const L = (msg: string, file = 'strace.go:605') => `I1127 08:10:30.107450   11908 ${file}] ${msg}`;
  it('marks an argv element gVisor cut (`"..."...`) and a path that fills PATH_MAX', () => {
    const long = `/${'a'.repeat(4095)}`;
    const { events } = parseText((s) => createGvisorParser(s, { initPid: 0 }), [
      L('[   2:   2] sh X execve(0x1 /bin/sh, 0x2 ["sh", "-c", "aaaa"...], 0x3 ["HOME=/root"]) = 0 (0x0) (1ms)'),
      L(`[   2:   2] sh X openat(AT_FDCWD /, 0x4 ${long}, O_RDONLY, 0o0) = -36 (ENAMETOOLONG) (2µs)`),
      L('[   2:   2] sh X openat(AT_FDCWD /, 0x4 /etc/hosts, O_RDONLY, 0o0) = 3 (0x3) (2µs)'),
    ].join('\n'));
    const types = events.map((e) => [e.type, e.truncatedArgs]);
    expect(types).toEqual([['execve', ['argv']], ['openat', ['name']], ['openat', undefined]]);
  });
});
