/** The quota script on real Redis (db 27): which members still count, and atomicity under concurrency. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { AnalysisRepository } from './analysis.repository.js';
import { QuotaRepository } from './quota.repository.js';

let redis: Redis;
let analyses: AnalysisRepository;
beforeAll(async () => {
  redis = new Redis(testRedisUrl(27), { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  analyses = new AnalysisRepository(redis);
});
afterAll(async () => {
  await redis.flushdb();
  redis.disconnect();
});

const record = (id: string, status: string) => analyses.create({ id, status, createdAt: new Date().toISOString() } as never);

it('counts queued and running analyses; terminal, deleted and long-unrecorded reservations free their slot', async () => {
  const quota = new QuotaRepository(redis, 200);
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const [i, id] of ids.entries()) {
    expect(await quota.reserve('k', id, 3)).toMatchObject({ ok: true, active: i + 1 });
    await record(id, i === 0 ? 'running' : 'queued');
  }
  expect(await quota.reserve('k', randomUUID(), 3)).toMatchObject({ ok: false, active: 3, limit: 3 });
  await analyses.update(ids[1], { status: 'completed' });
  const next = randomUUID();
  expect(await quota.reserve('k', next, 3)).toMatchObject({ ok: true, active: 3 });
  // `next` has no record yet: it counts during the grace period (a submission between reserve and create)…
  expect((await quota.reserve('k', randomUUID(), 3)).ok).toBe(false);
  // …and not after it (the submission died); a record removed by retention frees its slot at once.
  await new Promise((r) => setTimeout(r, 250));
  await redis.del(`q:analysis:${ids[2]}`);
  expect(await quota.reserve('k', randomUUID(), 3)).toMatchObject({ ok: true, active: 2 });
  // Unlimited: nothing counted.
  expect(await quota.reserve('admin', randomUUID(), 0)).toEqual({ ok: true, active: 0, limit: 0 });
  expect(await redis.exists('q:active:admin')).toBe(0);
});

it('never lets two concurrent reservations take the last slot', async () => {
  const quota = new QuotaRepository(redis);
  const results = await Promise.all(Array.from({ length: 40 }, async () => {
    const id = randomUUID();
    await record(id, 'queued');
    return (await quota.reserve('c', id, 7)).ok;
  }));
  expect(results.filter(Boolean)).toHaveLength(7);
  expect(await redis.zcard('q:active:c')).toBe(7);
});
