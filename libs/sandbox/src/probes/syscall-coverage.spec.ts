import { syscallCoverage } from './syscall-coverage.js';

describe('syscallCoverage', () => {
  it('ebpf is complete only when the trace carried its syscall set (the C record)', () => {
    expect(syscallCoverage('ebpf', true)).toMatchObject({ complete: true });
    const without = syscallCoverage('ebpf', false);
    expect(without.complete).toBe(false);
    expect(without.reason).toMatch(/no syscall-set record/);
    expect(syscallCoverage('ebpf').complete).toBe(false);
  });

  it('strace and gvisor are complete apart from their noise list; sensors are not, set or not', () => {
    expect(syscallCoverage('strace')).toMatchObject({ complete: true });
    expect(syscallCoverage('strace').unrecorded.length).toBeGreaterThan(0);
    expect(syscallCoverage('falco', true).complete).toBe(false);
    expect(syscallCoverage('perf', true).complete).toBe(false);
  });
});
