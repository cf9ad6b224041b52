/**
 * The real Nest API app, in-process (createApiApp: guards, pipes, filter, body parsers), on its own
 * Redis database, for integration tests through HTTP with supertest. No worker: analyses stay queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '#core/config/config';
import { ApiKeyRepository, type Role } from '#core/storage/api-key.repository';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { TEST_SECRET_KEY } from '../../../../test/support/secret-key.js';
import type { ApiParts } from '../app.module.js';
import { createApiApp } from '../bootstrap.js';

export const ADMIN_KEY = 'it-admin-key-0123456789abcdef';

export interface ApiApp {
  app: INestApplication;
  redis: Redis;
  http: ReturnType<typeof request>;
  /** A new key of `role`: its secret and its id. */
  issue(role: Role, name?: string): Promise<{ key: string; id: string }>;
  close(): Promise<void>;
}

export async function startApiApp(db: number, env: Record<string, string> = {}, parts: ApiParts = {}): Promise<ApiApp> {
  const redisUrl = testRedisUrl(db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  const artifactDir = mkdtempSync(join(tmpdir(), 'q-it-api-'));
  const config = loadConfig({ REDIS_URL: redisUrl, QUARANTINE_ADMIN_KEY: ADMIN_KEY, ARTIFACT_DIR: artifactDir, LOG_FORMAT: 'json', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', QUARANTINE_SECRET_KEY: TEST_SECRET_KEY, AUTH_FAILURE_LIMIT: '100000', ...env });
  const app = await createApiApp(config, parts);
  app.useLogger(false);
  await app.init();
  const keys = new ApiKeyRepository(redis);
  return {
    app,
    redis,
    http: request(app.getHttpServer()),
    issue: async (role, name = `${role}-${Math.random().toString(36).slice(2, 8)}`) => {
      const { key, record } = await keys.issue(name, role);
      return { key, id: record.id };
    },
    close: async () => {
      await app.close();
      await redis.flushdb();
      redis.disconnect();
      rmSync(artifactDir, { recursive: true, force: true });
    },
  };
}
