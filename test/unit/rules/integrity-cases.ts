/** Positive and negative cases of sandbox-profiles/rules/integrity.yaml (run integrity, issue 12). */
import type { EvalContext } from '../../../libs/analysis/src/state/context.js';
import { sandboxEvent, sys } from './rule-cases.js';

export const INTEGRITY_CASES: { rule: string; positive: EvalContext[]; negative: EvalContext[] }[] = [
  {
    rule: 'Sandbox Trace Budget Exceeded',
    positive: [sandboxEvent('trace_budget_exceeded', { count: 1, detail: 'budget 16777216 bytes' })],
    negative: [sandboxEvent('window_timeout'), sandboxEvent('oom_kill'), sys('write', { fd: 1, size: 4096 })],
  },
  {
    rule: 'Sandbox Sample Dormant at Window End',
    positive: [sandboxEvent('dormant_at_window_end', { count: 1, detail: 'all 1 task(s) sleeping (clock_nanosleep) at 6.0 s' })],
    negative: [sandboxEvent('window_timeout'), sandboxEvent('window_extended', { detail: '+2.0 s' }), sys('nanosleep', {})],
  },
];
