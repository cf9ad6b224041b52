import type { ProbeStats } from '#sandbox/probes/probe';
import type { SandboxExit, WindowOutcome } from '#sandbox/sandbox-runtime';
import { integrityHealth, integrityObservations } from './run-integrity.js';

const probe = (o: Partial<ProbeStats> = {}): ProbeStats => ({ probe: 'ebpf', records: 1, bytes: 1, lost: 0, complete: true, exitCode: 0, budgetExceeded: false, ...o });
const window = (o: Partial<WindowOutcome>): WindowOutcome => ({ windowSeconds: 2, maxWindowSeconds: 6, extendedMs: 0, endedBy: 'window', activity: 'active', dormant: false, detail: 'd', ...o });
const exit = (o: Partial<SandboxExit> = {}): SandboxExit => ({ exitCode: 137, oomKilled: false, windowExpired: true, cancelled: false, budgetExceeded: false, runMs: 2000, ...o });

describe('run integrity', () => {
  it('a dormant window end is an observation and a reason for inconclusive; an extension is an observation', () => {
    const e = exit({ window: window({ activity: 'dormant', dormant: true, extendedMs: 4000, detail: 'all 1 task(s) asleep: s[5] in nanosleep' }) });
    expect(integrityObservations(e, 1).map((o) => [o.type, o.detail])).toEqual([
      ['window_extended', '+4.0 s past the 2 s window while the sample only slept (max 6 s)'],
      ['dormant_at_window_end', 'all 1 task(s) asleep: s[5] in nanosleep'],
    ]);
    expect(integrityHealth(e, probe()).dormant).toBe('dormant at window end (all 1 task(s) asleep: s[5] in nanosleep)');
    expect(integrityHealth(exit({ window: window({ activity: 'serving' }) }), probe())).toEqual({ budgetExceeded: false, dormant: undefined });
  });

  it('the trace budget, from the probe or the sandbox', () => {
    expect(integrityHealth(exit({ budgetExceeded: true, windowExpired: false }), probe()).budgetExceeded).toBe(true);
    expect(integrityHealth(exit(), probe({ budgetExceeded: true })).budgetExceeded).toBe(true);
  });

  it('without a host view (gVisor): dormant when every syscall in progress at window end was a sleep', () => {
    const e = exit({ window: window({ activity: 'undetermined', detail: 'dormancy not determinable' }) });
    expect(integrityHealth(e, probe(), { blockedWhenEnded: 2, asleepWhenEnded: 2 }).dormant).toMatch(/^dormant at window end \(.*2 syscall\(s\) in progress/);
    expect(integrityHealth(e, probe(), { blockedWhenEnded: 2, asleepWhenEnded: 1 }).dormant).toBeUndefined();
    expect(integrityHealth(e, probe(), {}).dormant).toBeUndefined();
    expect(integrityHealth(exit({ windowExpired: false, window: window({ activity: 'undetermined' }) }), probe(), { blockedWhenEnded: 1, asleepWhenEnded: 1 }).dormant).toBeUndefined();
  });
});
