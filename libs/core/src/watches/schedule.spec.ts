import { cronError, nextRuns } from './schedule.js';

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
