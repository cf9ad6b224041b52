import { truncationNotEvaluated, truncationReasons } from './truncation-blind.js';

describe('rules a probe\'s truncation kept from being evaluated', () => {
  const blind = [
    { rule: 'Shell History Tampered', priority: 'warning' as const, events: 2, parts: ['cmdline' as const], firstSeq: 7 },
    { rule: 'Password Hash File Read', priority: 'error' as const, events: 1, parts: ['args' as const], firstSeq: 9 },
  ];
  it('become probe-blind not-evaluated entries saying on how many events and what was cut', () => {
    expect(truncationNotEvaluated(blind)).toEqual([
      { rule: 'Shell History Tampered', reason: 'not evaluated on 2 event(s) whose cmdline the probe truncated (first at event 7)', priority: 'warning', probeBlind: true },
      { rule: 'Password Hash File Read', reason: 'not evaluated on 1 event(s) whose args the probe truncated (first at event 9)', priority: 'error', probeBlind: true },
    ]);
  });
  it('and one scoring reason naming the parts and the rules; none when nothing was hidden', () => {
    expect(truncationReasons(blind)).toEqual([
      'the probe cut strings it read (args, cmdline): 2 rule(s) could not be evaluated on those events (Password Hash File Read, Shell History Tampered); see docs/probes.md',
    ]);
    expect(truncationReasons([])).toEqual([]);
  });
});
