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
