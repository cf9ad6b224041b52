import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceBudget } from './trace-budget.js';

describe('TraceBudget', () => {
  it('fires once when the file grows past the budget, also for late subscribers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'q-budget-')), 'trace');
    writeFileSync(path, 'x'.repeat(10));
    const budget = new TraceBudget(path, 100, 10_000);
    let fired = 0;
    budget.onExceeded(() => fired++);
    expect(await budget.check()).toBe(false);
    appendFileSync(path, 'y'.repeat(200));
    expect(await budget.check()).toBe(true);
    expect(await budget.check()).toBe(true);
    expect(fired).toBe(1);
    let late = 0;
    budget.onExceeded(() => late++);
    expect(late).toBe(1);
    expect(budget.exceeded).toBe(true);
    budget.stop();
  });

  it('is not exceeded while the file does not exist', async () => {
    const budget = new TraceBudget('/nonexistent/trace', 1, 10_000);
    expect(await budget.check()).toBe(false);
    budget.stop();
  });
});
