import { DEFAULT_SCORING_POLICY, FindingCollector, scoreFindings, type ScoringPolicy } from './scoring.js';
import type { RuleMatch } from '../rules/types.js';
import { makeContext } from '../rules/testing.js';

const match = (rule: string, priority: RuleMatch['priority'], output = `${rule} out`): RuleMatch => ({ rule, priority, tags: ['T1059'], output });
const ev = (seq: number) => ({ ...makeContext().event, seq, ts: 1000 + seq });

const policy: ScoringPolicy = {
  weights: { emergency: 100, alert: 80, critical: 60, error: 40, warning: 25, notice: 10, informational: 3, debug: 0 },
  repeat: { perRepeat: 2, cap: 6 },
  thresholds: { suspicious: 20, malicious: 60 },
  allow: [],
};

describe('FindingCollector', () => {
  it('counts per rule, keeps the first seq/output and the first N evidence events', () => {
    const c = new FindingCollector(2);
    c.addAll([match('B', 'warning', 'first B'), match('A', 'notice')], ev(5));
    c.add(match('B', 'warning', 'second B'), ev(6));
    c.add(match('B', 'warning'), ev(7));
    c.add(match('C', 'notice'), ev(5));
    const f = c.findings();
    expect(f.map((x) => [x.rule, x.count, x.firstSeq])).toEqual([
      ['A', 1, 5],
      ['B', 3, 5],
      ['C', 1, 5],
    ]);
    const b = f.find((x) => x.rule === 'B')!;
    expect(b.output).toBe('first B');
    expect(b.evidence.map((e) => e.seq)).toEqual([5, 6]);
  });
});

describe('scoreFindings', () => {
  const collect = (pairs: [RuleMatch, number][]) => {
    const c = new FindingCollector();
    pairs.forEach(([m, s]) => c.add(m, ev(s)));
    return c.findings();
  };

  it('scores weight + capped repeat bonus, contributions sum to the raw score', () => {
    const f = collect([
      [match('Shell', 'notice'), 1],
      [match('Shell', 'notice'), 2],
      [match('Write etc', 'error'), 3],
      ...Array.from({ length: 10 }, (_, i) => [match('Net', 'warning'), 10 + i] as [RuleMatch, number]),
    ]);
    const r = scoreFindings(f, policy);
    expect(r.contributions.map((c) => [c.rule, c.count, c.points])).toEqual([
      ['Write etc', 1, 40],
      ['Net', 10, 31], // 25 + min(6, 9×2)
      ['Shell', 2, 12], // 10 + 2
    ]);
    expect(r.rawScore).toBe(83);
    expect(r.contributions.reduce((s, c) => s + c.points, 0)).toBe(r.rawScore);
    expect(r.score).toBe(83);
    expect(r.verdict).toBe('malicious');
    expect(r.contributions.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 3);
    expect(r.reasons[0]).toMatch(/score 83 = sum of 3 rule contributions/);
  });

  it('repeats add at most half the weight: a notice repeated many times stays clean, a warning does not grow past 1.5×', () => {
    const many = (rule: string, p: RuleMatch['priority'], n: number) => Array.from({ length: n }, (_, i) => [match(rule, p), i + 1] as [RuleMatch, number]);
    const notice = scoreFindings(collect(many('Outbound', 'notice', 200)), DEFAULT_SCORING_POLICY);
    expect(notice.contributions[0]).toMatchObject({ count: 200, points: 15 }); // 10 + min(10, 5, 199)
    expect(notice.verdict).toBe('clean');
    expect(scoreFindings(collect(many('Info', 'informational', 50)), DEFAULT_SCORING_POLICY).contributions[0]!.points).toBe(4); // 3 + 1
    expect(scoreFindings(collect(many('Warn', 'warning', 50)), DEFAULT_SCORING_POLICY).contributions[0]!.points).toBe(35); // 25 + 10
    expect(scoreFindings(collect(many('Dbg', 'debug', 50)), DEFAULT_SCORING_POLICY).contributions[0]!.points).toBe(0);
  });

  it('applies thresholds at their boundaries and clamps to 100', () => {
    expect(scoreFindings(collect([[match('a', 'notice'), 1]]), policy).verdict).toBe('clean'); // 10
    expect(scoreFindings(collect([[match('a', 'notice'), 1], [match('b', 'notice'), 2]]), policy).verdict).toBe('suspicious'); // 20
    expect(scoreFindings(collect([[match('a', 'warning'), 1], [match('b', 'warning'), 2]]), policy).verdict).toBe('suspicious'); // 50
    expect(scoreFindings(collect([[match('a', 'critical'), 1]]), policy).verdict).toBe('malicious'); // 60
    const big = scoreFindings(collect([[match('a', 'emergency'), 1], [match('b', 'alert'), 2]]), policy);
    expect(big.score).toBe(100);
    expect(big.rawScore).toBe(180);
    expect(big.reasons[0]).toMatch(/clamped to 100/);
    expect(scoreFindings([], policy)).toMatchObject({ verdict: 'clean', score: 0, contributions: [] });
  });

  it('is deterministic whatever the input order', () => {
    const a = collect([[match('x', 'warning'), 1], [match('y', 'warning'), 2], [match('z', 'error'), 3]]);
    const r1 = scoreFindings(a, policy);
    const r2 = scoreFindings([...a].reverse(), policy);
    expect(r2).toEqual(r1);
    expect(r1.contributions.map((c) => c.rule)).toEqual(['z', 'x', 'y']); // points desc, then name
  });

  it('ignores allow-listed rules and honours per-rule weights', () => {
    const f = collect([[match('Known', 'critical'), 1], [match('Tuned', 'notice'), 2]]);
    const r = scoreFindings(f, { ...policy, allow: ['Known'], ruleWeights: { Tuned: 30 } });
    expect(r.contributions).toEqual([{ rule: 'Tuned', priority: 'notice', count: 1, points: 30, share: 1 }]);
    expect(r.verdict).toBe('suspicious');
    expect(r.reasons.join('\n')).toMatch(/allow-listed, not scored: Known \(1\)/);
  });

  it('is inconclusive, never clean, when the trace cannot be trusted', () => {
    expect(scoreFindings([], policy, { probeFailed: true }).verdict).toBe('inconclusive');
    expect(scoreFindings([], policy, { eventsLost: 12 }).verdict).toBe('inconclusive');
    expect(scoreFindings([], policy, { sampleStarted: false }).verdict).toBe('inconclusive');
    const net = scoreFindings([], policy, { networkFailed: 'the network simulator exited (SIGKILL)' });
    expect(net.verdict).toBe('inconclusive');
    expect(net.reasons.join('\n')).toMatch(/the simulated network failed \(the network simulator exited \(SIGKILL\)\)/);
    expect(scoreFindings(collect([[match('a', 'warning'), 1]]), policy, { eventsLost: 1 }).verdict).toBe('inconclusive');
    expect(scoreFindings([], policy, { eventsLost: 0, sampleStarted: true, probeFailed: false }).verdict).toBe('clean');
  });

  it('keeps malicious on a partial trace and says so', () => {
    const r = scoreFindings(collect([[match('Reverse shell', 'critical'), 1]]), policy, { eventsLost: 3 });
    expect(r.verdict).toBe('malicious');
    expect(r.reasons.join('\n')).toMatch(/trace incomplete \(3 events were lost\), but the malicious findings observed are conclusive/);
  });

  it('has a sensible default policy (one critical is malicious, one warning suspicious, one notice clean)', () => {
    expect(scoreFindings(collect([[match('a', 'critical'), 1]]), DEFAULT_SCORING_POLICY).verdict).toBe('malicious');
    expect(scoreFindings(collect([[match('a', 'warning'), 1]]), DEFAULT_SCORING_POLICY).verdict).toBe('suspicious');
    expect(scoreFindings(collect([[match('a', 'notice'), 1]])).verdict).toBe('clean');
  });

  it('does not claim clean when a probe-blind rule alone could have changed the verdict', () => {
    const blind = [{ rule: 'Password Hash File Read', priority: 'critical' as const }];
    const r = scoreFindings([], policy, { blindRules: blind, notEvaluated: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons.join('\n')).toMatch(/cannot see what 1 rule\(s\) need.*Password Hash File Read/);
    // Rules too weak to reach the suspicious threshold do not block clean…
    expect(scoreFindings([], policy, { blindRules: [{ rule: 'Write Below Etc', priority: 'notice' }] }).verdict).toBe('clean');
    // …unless the score is already close to it.
    expect(scoreFindings(collect([[match('a', 'notice'), 1]]), policy, { blindRules: [{ rule: 'Write Below Etc', priority: 'notice' }] }).verdict).toBe('inconclusive');
    // An allow-listed blind rule does not count, and findings that already convict still do.
    expect(scoreFindings([], { ...policy, allow: ['Password Hash File Read'] }, { blindRules: blind }).verdict).toBe('clean');
    expect(scoreFindings(collect([[match('Reverse shell', 'critical'), 1]]), policy, { blindRules: blind }).verdict).toBe('malicious');
    expect(scoreFindings(collect([[match('a', 'warning'), 1]]), policy, { blindRules: blind }).verdict).toBe('suspicious');
  });
});
