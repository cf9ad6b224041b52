import { cronError, nextRuns, shortestGapSeconds } from './schedule.js';

describe('shortestGapSeconds', () => {
  it.each([
    ['* * * * * *', 1],
    ['*/5 * * * *', 300],
    ['*/4 * * * *', 240],
    ['0 */5 * * * *', 300],
    ['0 2 * * *', 86_400],
    ['? ? ? ? ?', 60],
    // one day a year, two minutes apart: found without waiting for the day
    ['0,1 0 1 1 *', 60],
    // across midnight on consecutive days
    ['0,59 0,23 * * *', 60],
    ['0 0,23 * * 1,2', 3600],
    // across midnight only when days are consecutive: Mondays and Wednesdays never are
    ['0 0,23 * * 1,3', 82_800],
    ['59 23 * * *', 86_400],
  ])('%s → %i s', (pattern, gap) => {
    expect(shortestGapSeconds(pattern)).toBe(gap);
  });

  it('stays cheap on the event loop, even for a pattern that fires every second', () => {
    const t0 = performance.now();
    for (const p of ['* * * * * *', '*/5 * * * *', '0,59 0,23 * * *', '0 0 29 2 *']) shortestGapSeconds(p, 300);
    expect(performance.now() - t0).toBeLessThan(250);
  });
});

describe('cron patterns', () => {
  it.each([
    ['? ? ? ? ?', /only in the day-of-month and day-of-week fields, not in minute, hour, month/],
    ['? * * * *', /not in minute/],
    ['0 ? * * *', /not in hour/],
    ['0 0 * ? *', /not in month/],
    ['? ? ? ? ? ?', /not in second, minute, hour, month/],
    ['0 0 ? * ?', /not both/],
    ['0 0 0 ? * ?', /not both/],
    ['* * *', /5 fields/],
    ['61 * * * *', /not a valid cron pattern/],
  ])('refuses %s', (pattern, why) => {
    expect(cronError(pattern)).toMatch(why);
  });

  it.each(['0 2 * * *', '0 2 ? * 1', '0 2 1 * ?', '30 0 2 ? * MON', '*/15 * * * *'])('accepts %s', (pattern) => {
    expect(cronError(pattern)).toBeNull();
    expect(nextRuns(pattern, 'UTC', 2)).toHaveLength(2);
  });
});
