import { CronExpressionParser } from 'cron-parser';

/** Cron patterns as BullMQ's job schedulers read them (5 fields, or 6 with seconds first). */
export function cronError(pattern: unknown): string | null {
  if (typeof pattern !== 'string' || !pattern.trim()) return 'must be a cron pattern such as "0 2 * * *"';
  const fields = pattern.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return `must have 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields}`;
  // `?` ("no specific value") belongs to day-of-month and day-of-week only; elsewhere cron-parser reads it as `*`.
  const parts = pattern.trim().split(/\s+/);
  const names = fields === 6 ? ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'] : ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  const misplaced = names.filter((n, i) => parts[i].includes('?') && n !== 'day-of-month' && n !== 'day-of-week');
  if (misplaced.length) return `may use "?" only in the day-of-month and day-of-week fields, not in ${misplaced.join(', ')}`;
  if (parts[names.indexOf('day-of-month')].includes('?') && parts[names.indexOf('day-of-week')].includes('?')) return 'may use "?" in day-of-month or day-of-week, not both';
  try {
    CronExpressionParser.parse(pattern.trim());
    return null;
  } catch (e) {
    return `is not a valid cron pattern: ${(e as Error).message}`;
  }
}

/** IANA time zone names (`Europe/Paris`, `UTC`). */
export function timezoneError(tz: unknown): string | null {
  if (typeof tz !== 'string' || !tz.trim()) return 'must be an IANA time zone name such as "Europe/Paris"';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return null;
  } catch {
    return `"${tz}" is not an IANA time zone name`;
  }
}

/** The next `count` firing times, for GET /v1/watches. */
export function nextRuns(pattern: string, tz: string, count = 1, from = new Date()): string[] {
  const it = CronExpressionParser.parse(pattern, { tz, currentDate: from });
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(it.next().toISOString() ?? '');
  return out;
}

/**
 * The shortest time, in seconds of wall-clock time, between two consecutive firings of a cron
 * pattern. Seconds, minutes and hours are the same on every day a pattern matches, so the
 * shortest gap is within a day (from the expanded hour × minute × second sets, ≤ 86,400
 * entries, linear) or across midnight between two consecutive matching days — looked for, only
 * when that gap would be the shortest, among the next 400 matching days. No per-firing iteration,
 * so `* * * * * *` costs the same as `0 2 * * *` (about a millisecond).
 */
export function shortestGapSeconds(pattern: string, floorSeconds = Infinity): number {
  const expr = CronExpressionParser.parse(pattern.trim());
  const f = expr.fields;
  const sorted = (v: readonly (number | string)[]) => v.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  const [secs, mins, hours] = [sorted(f.second.values), sorted(f.minute.values), sorted(f.hour.values)];
  let first = -1;
  let prev = -1;
  let shortest = Infinity;
  for (const h of hours) {
    for (const m of mins) {
      for (const s of secs) {
        const t = h * 3600 + m * 60 + s;
        if (first < 0) first = t;
        else shortest = Math.min(shortest, t - prev);
        prev = t;
      }
    }
  }
  if (first < 0) return Infinity;
  const acrossMidnight = 86_400 - prev + first;
  // (Under a floor, only a gap below it matters: the day check is skipped when midnight cannot be one.)
  if (acrossMidnight < shortest && acrossMidnight < floorSeconds && consecutiveDaysMatch(expr.stringify(true))) shortest = acrossMidnight;
  return shortest;
}

/** Whether two consecutive calendar days both match the pattern's day fields within the next 400 days. */
function consecutiveDaysMatch(sixFields: string): boolean {
  const [, , , dom, month, dow] = sixFields.split(' ');
  const now = Date.now();
  const it = CronExpressionParser.parse(`0 0 12 ${dom} ${month} ${dow}`, { tz: 'UTC', currentDate: new Date(now), endDate: new Date(now + 400 * 86_400_000) });
  let prev = -1;
  for (let i = 0; i < 400 && it.hasNext(); i++) {
    const t = it.next().getTime();
    if (t - prev === 86_400_000) return true;
    prev = t;
  }
  return false;
}
