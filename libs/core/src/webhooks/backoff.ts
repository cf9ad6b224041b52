/**
 * Delivery retry schedule: exponential from `baseMs`, each step capped at `maxMs`, with ±20 %
 * jitter so receivers that come back are not hit by every sender at once. A `Retry-After` the
 * receiver sent wins when it is sensible (not longer than the step cap).
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  attempts: number;
}

export function backoffDelay(policy: BackoffPolicy, attemptsMade: number, random: () => number = Math.random, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 && retryAfterMs <= policy.maxMs) return Math.round(retryAfterMs);
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.max(0, Math.round(exp * (0.8 + 0.4 * random())));
}

/** Total time the schedule spans without jitter (the last attempt happens this long after the first). */
export function backoffSpanMs(policy: BackoffPolicy): number {
  let total = 0;
  for (let i = 1; i < policy.attempts; i++) total += Math.min(policy.maxMs, policy.baseMs * 2 ** (i - 1));
  return total;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
