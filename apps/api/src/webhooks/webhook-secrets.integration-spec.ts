import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { loadConfig } from '#core/config/config';
import { AofCompactor } from '#core/storage/aof-compactor';
import { Keys } from '#core/storage/redis-keys';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { createApiApp } from '../bootstrap.js';

/** The webhooks API over real HTTP (the Nest app) and real Redis: what is shown and what is stored. */
describe('webhook secrets through the API', () => {
  const adminKey = 'secrets-admin-key-0123456789';
  const url = testRedisUrl(26);
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  const apps: INestApplication[] = [];

  async function boot(env: Record<string, string>): Promise<string> {
    return (await bootApp(env)).base;
  }
  async function bootApp(env: Record<string, string>): Promise<{ base: string; app: INestApplication }> {
    const app = await createApiApp(loadConfig({ REDIS_URL: url, QUARANTINE_ADMIN_KEY: adminKey, WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', LOG_FORMAT: 'json', ...env }));
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
  }
  const call = async (base: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json().catch(() => null)) as any };
  };

  beforeAll(() => redis.flushdb());
  afterAll(async () => {
    for (const a of apps) await a.close();
    await redis.quit();
  });

  it('shows no key material in secretPrefix, and stores neither secret nor credential in plain text', async () => {
    const { base, app } = await bootApp({ QUARANTINE_SECRET_KEY: randomBytes(32).toString('base64') });
    const created = await call(base, 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['analysis.completed'],
      format: 'jira',
      ticket: { projectKey: 'SEC', authorization: 'Basic c2VjcmV0OnBhc3N3b3Jk' },
    });
    expect(created.status).toBe(201);
    const secret = created.json.secret as string;
    expect(secret.startsWith('whsec_')).toBe(true);
    expect(created.json.secretPrefix).toBe('whsec_');
    const shown = await call(base, 'GET', `/v1/webhooks/${created.json.id}`);
    expect(shown.json.secretPrefix).toBe('whsec_');
    expect(JSON.stringify(shown.json)).not.toContain(secret.slice(6, 10));
    const rotated = await call(base, 'POST', `/v1/webhooks/${created.json.id}/rotate-secret`, {});
    expect(rotated.status).toBeLessThan(300);
    expect(rotated.json.secretPrefix).toBe('whsec_');
    const raw = (await redis.get(Keys.webhook(created.json.id)))!;
    for (const s of [secret.slice(6), rotated.json.secret.slice(6), 'c2VjcmV0OnBhc3N3b3Jk']) expect(raw).not.toContain(s);
    // Deleting asks Redis for an AOF rewrite (started, or "disabled" when the test Redis runs without AOF).
    const other = await call(base, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook2', events: ['analysis.completed'] });
    expect((await call(base, 'DELETE', `/v1/webhooks/${other.json.id}`)).status).toBe(204);
    const aof = app.get(AofCompactor);
    await aof.settled();
    const aofOn = ((await redis.config('GET', 'appendonly')) as string[])[1] === 'yes';
    expect(aof.lastOutcome).toBe(aofOn ? 'started' : 'disabled');
  });

  it('without QUARANTINE_SECRET_KEY a webhook is refused with 503 naming the variable (never stored in plain text)', async () => {
    const base = await boot({});
    const res = await call(base, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['analysis.completed'] });
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'service_unavailable', details: [{ field: 'QUARANTINE_SECRET_KEY' }] });
    expect(await redis.zcard(Keys.webhooks)).toBe(1);
    // The subscription stored with a key cannot be read without it: a 503 too, not a 500.
    expect((await call(base, 'GET', '/v1/webhooks')).status).toBe(503);
  });
});
