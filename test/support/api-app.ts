import { rmSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { App } from 'supertest/types.js';
import { TEST_SECRET_KEY } from './secret-key.js';
import { type AppConfig, loadConfig } from '#core/config/config';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { e2eProfilesDir } from './profiles.js';
import { testRedisUrl } from './redis.js';

/**
 * The API as a Nest app inside the test process (real Redis, real BullMQ queues, no worker, no
 * listener): for supertest against `app.getHttpServer()`.
 */
export interface ApiApp {
  app: INestApplication;
  server: App;
  config: AppConfig;
  redis: Redis;
  adminKey: string;
  close(): Promise<void>;
}

export async function startApiApp(opts: { db: number; env?: Record<string, string>; redisUrl?: string; flush?: boolean }): Promise<ApiApp> {
  const adminKey = 'test-admin-key-0123456789abcdef';
  const profiles = e2eProfilesDir();
  const redisUrl = opts.redisUrl ?? testRedisUrl(opts.db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  if (opts.flush !== false) await redis.flushdb();
  const config = loadConfig({ REDIS_URL: redisUrl, QUARANTINE_ADMIN_KEY: adminKey, PROFILES_DIR: profiles, ARTIFACT_DIR: `${profiles}/artifacts`, LOG_FORMAT: 'json', QUARANTINE_SECRET_KEY: TEST_SECRET_KEY, ...opts.env });
  const app = await createApiApp(config);
  app.useLogger(false);
  await app.init();
  return {
    app,
    server: app.getHttpServer(),
    config,
    redis,
    adminKey,
    async close() {
      await app.close();
      if (opts.flush !== false) await redis.flushdb().catch(() => undefined);
      redis.disconnect();
      rmSync(profiles, { recursive: true, force: true });
    },
  };
}
