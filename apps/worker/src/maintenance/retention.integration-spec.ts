/**
 * The worker's wiring of the retention sweep: Nest resolves MaintenanceProcessor with the
 * RetentionService (real Redis, real artifact directory), and a `retention-sweep` job deletes
 * an old analysis with RETENTION_DAYS from the configuration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '#core/config/config';
import { CONFIG, REDIS } from '#core/nest/tokens';
import { JobProducer } from '#core/queue/job-producer';
import { JobName } from '#core/queue/queue.constants';
import { AnalysisRepository } from '#core/storage/analysis.repository';
import { ArtifactStore } from '#core/storage/artifact.store';
import { Keys } from '#core/storage/redis-keys';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { SANDBOX_RUNTIME } from '../detonation/sandbox.providers.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { RetentionService } from './retention.service.js';

describe('retention-sweep job in the worker', () => {
  const redis = new Redis(testRedisUrl(28), { maxRetriesPerRequest: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'q-retention-wk-'));
  afterAll(async () => {
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is scheduled at boot and runs through MaintenanceProcessor with RETENTION_DAYS', async () => {
    await redis.flushdb();
    const config = loadConfig({ RETENTION_DAYS: '7', ARTIFACT_DIR: dir });
    const artifacts = new ArtifactStore(dir);
    const repo = new AnalysisRepository(redis);
    const at = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    for (const [id, days] of [['old', 8], ['new', 6]] as const) {
      await repo.create({ id, image: 'img', digest: null, imageId: null, profile: 'default', probe: 'strace', runtime: 'runc', status: 'failed', phase: 'done', verdict: null, score: null, findings: [], labels: {}, priority: 5, rulesVersion: null, createdAt: at(days), startedAt: null, finishedAt: at(days), attempts: 1, error: 'x', submittedBy: 'a' });
      await artifacts.writeJson(id, 'report.json', {});
    }
    const scheduled: [string, unknown][] = [];
    @Module({
      providers: [
        { provide: REDIS, useValue: redis },
        { provide: CONFIG, useValue: config },
        { provide: ArtifactStore, useValue: artifacts },
        { provide: SANDBOX_RUNTIME, useValue: { reap: async () => [] } },
        { provide: JobProducer, useValue: { schedule: async (id: string, every: unknown) => void scheduled.push([id, every]) } },
        RetentionService,
        MaintenanceProcessor,
      ],
    })
    class M {}
    const app = await NestFactory.createApplicationContext(M, { logger: false });
    try {
      expect(scheduled).toContainEqual(['retention-sweep', { everyMs: 6 * 3600_000 }]);
      const p = app.get(MaintenanceProcessor);
      const out = await p.process({ id: 'j1', name: JobName.RetentionSweep, data: {} } as unknown as Job);
      expect(out).toMatchObject({ retentionDays: 7, deleted: 1, artifactDirsRemoved: 1 });
      expect(await redis.zrange(Keys.analysesByTime, '0', '-1')).toEqual(['new']);
    } finally {
      await app.close();
    }
  });
});
