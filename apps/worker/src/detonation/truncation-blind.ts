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

/** One scoring reason naming what the probe cut, when it hid something from a rule (else none). */
export function truncationReasons(blind: readonly TruncationBlind[]): string[] {
  if (blind.length === 0) return [];
  const parts = [...new Set(blind.flatMap((b) => b.parts))].sort();
  const names = blind.map((b) => b.rule).sort();
  return [
    `the probe cut strings it read (${parts.join(', ')}): ${names.length} rule(s) could not be evaluated on those events ` +
      `(${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}); see docs/probes.md`,
  ];
}
