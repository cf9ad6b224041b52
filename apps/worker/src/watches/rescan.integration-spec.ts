/**
 * A watch's rescans against ownership rules (real Redis db 24, real BullMQ queues): they belong to
 * the watch's owner and count against that owner's quota, and a watch stored before the minimum
 * interval was raised is clamped (scheduled ticks too soon after its last run are skipped).
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '#core/config/config';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { JobProducer } from '#core/queue/job-producer';
import { QueueName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { QuotaRepository } from '#core/storage/quota.repository';
import { type WatchRecord, WatchRepository } from '#core/storage/watch.repository';
import { TEST_REDIS_PORT, testRedisUrl } from '../../../../test/support/redis.js';
import { RescanService } from './rescan.service.js';

let redis: Redis;
let queues: Record<QueueName, Queue>;
let watches: WatchRepository;
let analyses: AnalysisRepository;

beforeAll(async () => {
  redis = new Redis(testRedisUrl(24), { maxRetriesPerRequest: null });
  await redis.flushdb();
  const connection = { host: '127.0.0.1', port: TEST_REDIS_PORT, db: 24 };
  queues = Object.fromEntries(Object.values(QueueName).map((q) => [q, new Queue(q, { connection })])) as Record<QueueName, Queue>;
  watches = new WatchRepository(redis);
  analyses = new AnalysisRepository(redis);
});
afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await redis.flushdb();
  redis.disconnect();
});

const service = (env: Record<string, string> = {}) =>
  new RescanService(watches, analyses, new ProfileRegistry(`${process.cwd()}/sandbox-profiles`), new JobProducer(queues), new QuotaRepository(redis), loadConfig(env));

async function watch(schedule: string, extra: Partial<WatchRecord> = {}): Promise<WatchRecord> {
  const w: WatchRecord = { id: randomUUID(), image: 'quarantine-samples/hello:latest', schedule, timezone: 'UTC', profile: 'default', createdAt: new Date().toISOString(), createdBy: 'A', owner: 'key-a', ownerRole: 'analyst', ...extra };
  await watches.create(w);
  return w;
}

it('gives a rescan the watch owner as its owner', async () => {
  const w = await watch('0 2 * * *');
  const out = await service().rescan(w.id, `t-${randomUUID()}`, 'schedule');
  expect(out.outcome).toBe('queued');
  expect((await analyses.get(out.analysisId!))?.owner).toBe('key-a');
});

it('counts rescans against the owner quota: over it, the tick is skipped', async () => {
  const w = await watch('0 2 * * *', { owner: 'key-q' });
  const svc = service({ QUOTA_ANALYST_ACTIVE: '2' });
  expect((await svc.rescan(w.id, 't1', 'schedule')).outcome).toBe('queued');
  expect((await svc.rescan(w.id, 't2', 'schedule')).outcome).toBe('queued');
  expect(await svc.rescan(w.id, 't3', 'manual')).toEqual({ analysisId: null, outcome: 'over-quota' });
  expect(await watches.runs(w.id)).toHaveLength(2);
});

it('clamps a watch that fires more often than WATCH_MIN_INTERVAL_SECONDS (stored before it was raised)', async () => {
  const w = await watch('* * * * *', { lastRunAt: new Date(Date.now() - 30_000).toISOString() });
  expect(await service().rescan(w.id, 't-soon', 'schedule')).toEqual({ analysisId: null, outcome: 'too-soon' });
  // A manual run is a deliberate request (bounded by the quota), not clamped.
  expect((await service().rescan(w.id, 't-manual', 'manual')).outcome).toBe('queued');
  // Once the minimum has passed since the last run, the next tick runs.
  await redis.set(`q:watch:${w.id}`, JSON.stringify({ ...(await watches.get(w.id)), lastRunAt: new Date(Date.now() - 301_000).toISOString() }));
  expect((await service().rescan(w.id, 't-later', 'schedule')).outcome).toBe('queued');
  // Under a floor the schedule keeps to, ticks are never clamped, however recent the last run.
  const ok = await watch('*/5 * * * *', { lastRunAt: new Date().toISOString() });
  expect((await service().rescan(ok.id, 't-ok', 'schedule')).outcome).toBe('queued');
});
