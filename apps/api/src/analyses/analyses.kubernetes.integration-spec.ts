/**
 * Submitting to a `runtime: kubernetes` profile: the record says runtime kubernetes, and a probe
 * override the cluster cannot run is a 400 naming `probe`. Real Redis (db 20) and real BullMQ queues.
 */
import { loadConfig } from '#core/config/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DomainException } from '#core/errors/domain.exception';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { JobProducer } from '#core/queue/job-producer';
import { QueueName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { QuotaRepository } from '#core/storage/quota.repository';
import { ArtifactStore } from '#core/storage/artifact.store';
import { e2eProfilesDir } from '../../../../test/support/profiles.js';
import { TEST_REDIS_PORT, testRedisUrl } from '../../../../test/support/redis.js';
import { AnalysesService } from './analyses.service.js';

const url = testRedisUrl(20);
let redis: Redis;
let queues: Record<QueueName, Queue>;
let dir: string;
let profiles: string;

beforeAll(async () => {
  redis = new Redis(url, { maxRetriesPerRequest: null });
  await redis.flushdb();
  const connection = { host: '127.0.0.1', port: TEST_REDIS_PORT, db: 20 };
  queues = Object.fromEntries(Object.values(QueueName).map((q) => [q, new Queue(q, { connection })])) as Record<QueueName, Queue>;
  dir = mkdtempSync(join(tmpdir(), 'q-api-k8s-'));
  profiles = e2eProfilesDir();
});
afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await redis.flushdb();
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
  rmSync(profiles, { recursive: true, force: true });
});

it('records runtime kubernetes and refuses a probe the cluster cannot run', async () => {
  const svc = new AnalysesService(new AnalysisRepository(redis), new ArtifactStore(dir), new ProfileRegistry(profiles), new JobProducer(queues), redis, loadConfig({}), new QuotaRepository(redis));
  const by = { keyId: 'test', name: 'test', role: 'admin' } as never;
  const rec = await svc.submit({ image: 'registry.local:5000/samples/hello:1', profile: 'kubernetes' } as never, by);
  expect(rec).toMatchObject({ runtime: 'kubernetes', probe: 'strace', status: 'queued' });
  expect(await svc.submit({ image: 'registry.local:5000/samples/hello:1', profile: 'kubernetes', probe: 'falco' } as never, by)).toMatchObject({ runtime: 'kubernetes', probe: 'falco' });
  const err = await svc.submit({ image: 'registry.local:5000/samples/hello:1', profile: 'kubernetes', probe: 'ebpf' } as never, by).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DomainException);
  expect(err).toMatchObject({ status: 400, details: [{ field: 'probe' }] });
  expect(await svc.submit({ image: 'registry.local:5000/samples/hello:1', profile: 'default', probe: 'gvisor' } as never, by)).toMatchObject({ runtime: 'runsc' });
});
