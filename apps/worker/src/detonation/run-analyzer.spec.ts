import { DEFAULT_SCORING_POLICY, type ProcessSummary } from '#analysis';
import type { SandboxProfile } from '#core/profiles/profile';
import { policyFor, processTree } from './run-analyzer.js';

const proc = (pid: number, ppid: number): ProcessSummary => ({ pid, ppid, name: `p${pid}`, exe: '', exepath: '', args: [], startTs: 0, execs: [], threads: 1 });

describe('processTree', () => {
  it('nests children under parents and keeps unknown parents as roots', () => {
    const roots = processTree([proc(10, 0), proc(11, 10), proc(12, 11), proc(13, 10), proc(20, 99)]);
    expect(roots.map((r) => r.pid)).toEqual([10, 20]);
    expect(roots[0].children.map((c) => c.pid)).toEqual([11, 13]);
    expect(roots[0].children[0].children.map((c) => c.pid)).toEqual([12]);
  });
});

describe('policyFor', () => {
  it('overrides weights and thresholds per profile and adds its allow-list', () => {
    const profile = { allow: ['Noisy rule'], scoring: { weights: { warning: 1 }, thresholds: { malicious: 90 } } } as unknown as SandboxProfile;
    const p = policyFor(profile);
    expect(p.weights.warning).toBe(1);
    expect(p.weights.critical).toBe(DEFAULT_SCORING_POLICY.weights.critical);
    expect(p.thresholds).toEqual({ suspicious: DEFAULT_SCORING_POLICY.thresholds.suspicious, malicious: 90 });
    expect(p.allow).toContain('Noisy rule');
  });
});
