import { cronError, nextRuns, timezoneError } from '../watches/schedule.js';
import { ConfigError, loadConfig } from './config.js';

describe('watch and webhook configuration', () => {
  it('has defaults that span about three days of retries and a nightly schedule', () => {
    const c = loadConfig({}).webhooks;
    expect(c).toMatchObject({ timeoutMs: 10_000, maxAttempts: 17, backoffBaseMs: 30_000, backoffMaxMs: 12 * 3600_000, defaultSchedule: '0 2 * * *', publicUrl: 'http://localhost:3000' });
    expect(c.allow.raw).toEqual([]);
  });

  it.each([
    ['WEBHOOK_ALLOW_HOSTS', 'localhost, 10.0.0.0/99'],
    ['WEBHOOK_ALLOW_HOSTS', 'not a host'],
    ['WEBHOOK_MAX_ATTEMPTS', '0'],
    ['WEBHOOK_TIMEOUT_MS', 'soon'],
    ['WATCH_DEFAULT_SCHEDULE', 'nightly'],
    ['QUARANTINE_PUBLIC_URL', 'ftp://x'],
  ])('stops at boot naming %s for %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('parses an allow-list of hosts and CIDRs', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32,jira.internal' }).webhooks.allow.hosts.has('jira.internal')).toBe(true);
  });
});

describe('schedules', () => {
  it('accepts 5- and 6-field cron patterns and IANA zones; names what is wrong otherwise', () => {
    expect(cronError('0 2 * * *')).toBeNull();
    expect(cronError('*/1 * * * * *')).toBeNull();
    expect(cronError('61 * * * *')).toMatch(/0-59/);
    expect(cronError('* * *')).toMatch(/5 fields/);
    expect(cronError(42)).toMatch(/cron pattern/);
    expect(timezoneError('Europe/Paris')).toBeNull();
    expect(timezoneError('Mars/Olympus')).toMatch(/IANA/);
  });

  it('computes the next run in the watch time zone', () => {
    const from = new Date('2026-06-01T12:00:00Z');
    expect(nextRuns('0 2 * * *', 'UTC', 1, from)).toEqual(['2026-06-02T02:00:00.000Z']);
    // 02:00 in Paris (UTC+2 in June) is 00:00 UTC.
    expect(nextRuns('0 2 * * *', 'Europe/Paris', 1, from)).toEqual(['2026-06-02T00:00:00.000Z']);
  });
});
