import { rmSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { type AppConfig, loadConfig } from '#core/config/config';
import { ApiKeyRepository, type Role } from '#core/storage/api-key.repository';
import type { ApiParts } from '../../apps/api/src/app.module.js';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { e2eProfilesDir } from './profiles.js';
import { testRedisUrl } from './redis.js';
import { TEST_SECRET_KEY } from './secret-key.js';

/** The bootstrap admin key of every in-process test app. */
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/**
 * The API as a Nest app inside the test process (createApiApp: guards, pipes, filter, body parsers;
 * real Redis, real BullMQ queues; no worker, so analyses stay queued; no listener): for supertest.
 */
export interface ApiApp {
  app: INestApplication;
  server: App;
  http: ReturnType<typeof request>;
  config: AppConfig;
  redis: Redis;
  adminKey: string;
  /** A new key of `role`: its secret and its id. */
  issue(role: Role, name?: string): Promise<{ key: string; id: string }>;
  close(): Promise<void>;
}

export async function startApiApp(opts: { db: number; env?: Record<string, string>; parts?: ApiParts; redisUrl?: string; flush?: boolean }): Promise<ApiApp> {
  const profiles = e2eProfilesDir();
  const redisUrl = opts.redisUrl ?? testRedisUrl(opts.db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  if (opts.flush !== false) await redis.flushdb();
  const config = loadConfig({ REDIS_URL: redisUrl, QUARANTINE_ADMIN_KEY: ADMIN_KEY, PROFILES_DIR: profiles, ARTIFACT_DIR: `${profiles}/artifacts`, LOG_FORMAT: 'json', QUARANTINE_SECRET_KEY: TEST_SECRET_KEY, ...opts.env });
  const app = await createApiApp(config, opts.parts);
  app.useLogger(false);
  await app.init();
  const keys = new ApiKeyRepository(redis);
  return {
    app,
    server: app.getHttpServer(),
    http: request(app.getHttpServer()),
    config,
    redis,
    adminKey: ADMIN_KEY,
    issue: async (role, name = `${role}-${Math.random().toString(36).slice(2, 8)}`) => {
      const { key, record } = await keys.issue(name, role);
      return { key, id: record.id };
    },
    async close() {
      await app.close();
      if (opts.flush !== false) await redis.flushdb().catch(() => undefined);
      redis.disconnect();
      rmSync(profiles, { recursive: true, force: true });
    },
  };
}
