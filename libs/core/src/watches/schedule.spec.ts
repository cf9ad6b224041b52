import { shortestGapSeconds } from './schedule.js';

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
