import type { NotEvaluated, TruncationBlind } from '#analysis';

/**
 * Rules the probe's truncation kept from being evaluated on some events (analyzeTrace's
 * `truncationBlind`) as the run's not-evaluated entries: probe-blind, so scoring cannot claim
 * `clean` when one of them could have been decisive.
 */
export function truncationNotEvaluated(blind: readonly TruncationBlind[]): NotEvaluated[] {
  return blind.map((b) => ({
    rule: b.rule,
    reason: `not evaluated on ${b.events} event(s) whose ${b.parts.join(', ')} the probe truncated (first at event ${b.firstSeq})`,
    priority: b.priority,
    probeBlind: true,
  }));
}
