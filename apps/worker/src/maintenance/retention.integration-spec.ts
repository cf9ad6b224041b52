/**
 * The worker's maintenance wiring: Nest resolves MaintenanceProcessor with the RetentionService
 * and the SecretsMigrationService (real Redis, real artifact directory); a `retention-sweep` job
 * deletes an old analysis with RETENTION_DAYS from the configuration, a `reencrypt-secrets` job
 * encrypts a plain-text secret and drops an expired rotation secret.
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
import { SecretBox } from '#core/secrets/secret-box';
import { AofCompactor } from '#core/storage/aof-compactor';
import { WebhookRepository } from '#core/storage/webhook.repository';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { SANDBOX_RUNTIME } from '../detonation/sandbox.providers.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { RetentionService } from './retention.service.js';
import { SecretsMigrationService } from './secrets-migration.service.js';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';

describe('retention-sweep job in the worker', () => {
  const redis = new Redis(testRedisUrl(28), { maxRetriesPerRequest: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'q-retention-wk-'));
  afterAll(async () => {
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retention and secret re-encryption are scheduled at boot and run through MaintenanceProcessor', async () => {
    await redis.flushdb();
    const config = loadConfig({ RETENTION_DAYS: '7', ARTIFACT_DIR: dir, QUARANTINE_SECRET_KEY: 'a'.repeat(64) });
    const box = new SecretBox(config.secretKey);
    const legacy = { id: 'w1', url: 'https://h.example/', events: ['analysis.completed'], filter: {}, format: 'generic', secret: 'whsec_bGVnYWN5LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm', previousSecret: 'whsec_b2xkLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2hp', previousSecretExpiresAt: '2020-01-01T00:00:00Z', enabled: true, createdAt: '2026-01-01T00:00:00Z', createdBy: 'a' };
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
        { provide: SecretBox, useValue: box },
        { provide: AofCompactor, useValue: new AofCompactor(redis) },
        { provide: WebhookRepository, useValue: new WebhookRepository(redis, box) },
        { provide: RegistryCredentialRepository, useValue: new RegistryCredentialRepository(redis, box) },
        RetentionService,
        SecretsMigrationService,
        MaintenanceProcessor,
      ],
    })
    class M {}
    await redis.multi().set(Keys.webhook('w1'), JSON.stringify(legacy)).zadd(Keys.webhooks, 1, 'w1').exec();
    const app = await NestFactory.createApplicationContext(M, { logger: false });
    try {
      expect(scheduled).toContainEqual(['retention-sweep', { everyMs: 6 * 3600_000 }]);
      const p = app.get(MaintenanceProcessor);
      const out = await p.process({ id: 'j1', name: JobName.RetentionSweep, data: {} } as unknown as Job);
      expect(out).toMatchObject({ retentionDays: 7, deleted: 1, artifactDirsRemoved: 1 });
      expect(await redis.zrange(Keys.analysesByTime, '0', '-1')).toEqual(['new']);

      expect(scheduled).toContainEqual(['reencrypt-secrets', { everyMs: 6 * 3600_000 }]);
      // The pass at bootstrap (not awaited) encrypts it first; then the job must do it again.
      for (let i = 0; i < 100 && !(await redis.get(Keys.webhook('w1')))!.includes('qenc:'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await redis.get(Keys.webhook('w1'))).toContain('qenc:');
      await redis.set(Keys.webhook('w1'), JSON.stringify(legacy));
      expect(await p.process({ id: 'j2', name: JobName.ReencryptSecrets, data: {} } as unknown as Job)).toMatchObject({ reencrypted: 1, plaintext: 2, expiredDropped: 1 });
      const raw = (await redis.get(Keys.webhook('w1')))!;
      expect(raw).not.toContain(legacy.secret.slice(6));
      expect(raw).not.toContain(legacy.previousSecret.slice(6));
      expect((await new WebhookRepository(redis, box).get('w1'))?.secret).toBe(legacy.secret);
    } finally {
      await app.close();
    }
  });
});
