import { Redis } from 'ioredis';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { AnalysisRepository } from './analysis.repository.js';
import type { VerdictCacheEntry } from './analysis.types.js';
import { Keys } from './redis-keys.js';

// The admission verdict against real Redis: the latest analysis to finish wins, whatever order the
// writes arrive in; a rescore of the holder replaces it; a refused write publishes nothing.
const redis = new Redis(testRedisUrl(22), { maxRetriesPerRequest: 3 });
const repo = new AnalysisRepository(redis);
const D = 'sha256:' + 'c'.repeat(64);
const entry = (id: string, verdict: VerdictCacheEntry['verdict'], finishedAt: string): VerdictCacheEntry => ({ digest: D, verdict, score: 0, rulesVersion: 'rv', analysisId: id, image: 'x', at: finishedAt, finishedAt });

beforeEach(async () => {
  await redis.flushdb();
});
afterAll(async () => {
  await redis.quit();
});

describe('AnalysisRepository.setVerdict', () => {
  it('keeps the verdict of the analysis that finished last, in whatever order the writes come', async () => {
    expect(await repo.setVerdict(entry('b', 'malicious', '2026-01-01T00:00:02.000Z'))).toEqual({ applied: true, previous: null });
    const older = await repo.setVerdict(entry('a', 'clean', '2026-01-01T00:00:01.000Z'));
    expect(older).toMatchObject({ applied: false, previous: { analysisId: 'b', verdict: 'malicious' } });
    expect(await repo.getVerdict(D)).toMatchObject({ analysisId: 'b', verdict: 'malicious' });
    const newer = await repo.setVerdict(entry('c', 'clean', '2026-01-01T00:00:03.000Z'));
    expect(newer).toMatchObject({ applied: true, previous: { analysisId: 'b' } });
    // A rescore of the holder (same analysis, its own finishedAt) replaces it.
    expect((await repo.setVerdict({ ...entry('c', 'suspicious', '2026-01-01T00:00:03.000Z'), at: '2026-01-02T00:00:00.000Z' })).applied).toBe(true);
    expect(await repo.getVerdict(D)).toMatchObject({ analysisId: 'c', verdict: 'suspicious' });
  });

  it('under concurrent writes the latest finishedAt wins, and only applied writes are published', async () => {
    const sub = new Redis(testRedisUrl(22));
    const published: string[] = [];
    await sub.subscribe(Keys.verdictChannel);
    sub.on('message', (_c, m) => published.push(m));
    const writes = Array.from({ length: 40 }, (_, i) => entry(`a${i}`, i === 17 ? 'malicious' : 'clean', new Date(Date.UTC(2026, 0, 1, 0, 0, i === 17 ? 59 : i % 30)).toISOString()));
    const results = await Promise.all(writes.sort(() => Math.random() - 0.5).map((w) => repo.setVerdict(w)));
    expect(await repo.getVerdict(D)).toMatchObject({ analysisId: 'a17', verdict: 'malicious' });
    await new Promise((r) => setTimeout(r, 200));
    expect(published.length).toBe(results.filter((r) => r.applied).length);
    await sub.quit();
  });
});
