/**
 * Hostile rule files and webhook filters against the real Nest app (real HTTP, real Redis db 23),
 * with /healthz polled throughout: the API must answer it within 1 s while a hostile file is
 * validated (validation runs in a worker thread with a time limit), and every refusal is a 4xx
 * naming the field. Before: the doubling-macro file held the event loop 21.6 s.
 */
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '#core/config/config';
import { TEST_SECRET_KEY } from '../../../../test/support/secret-key.js';
import { passesFilter } from '#core/webhooks/webhook.types';
import { e2eProfilesDir } from '../../../../test/support/profiles.js';
import { testRedisUrl } from '../../../../test/support/redis.js';
import { createApiApp } from '../bootstrap.js';
import { loadRulesValidationConfig } from './rules.config.js';

const ADMIN = 'rules-it-admin-key-0123456789abcdef';
const TIMEOUT_MS = 1500;
let app: INestApplication;
let base: string;
let redis: Redis;
let artifacts: string;
let profiles: string;

beforeAll(async () => {
  const url = testRedisUrl(23);
  redis = new Redis(url, { maxRetriesPerRequest: 3 });
  await redis.flushdb();
  artifacts = mkdtempSync(join(tmpdir(), 'q-rules-it-'));
  profiles = e2eProfilesDir();
  app = await createApiApp(loadConfig({ REDIS_URL: url, QUARANTINE_ADMIN_KEY: ADMIN, ARTIFACT_DIR: artifacts, PROFILES_DIR: profiles, WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32', LOG_FORMAT: 'json', QUARANTINE_SECRET_KEY: TEST_SECRET_KEY }), { rulesValidation: loadRulesValidationConfig({ RULES_VALIDATE_TIMEOUT_MS: String(TIMEOUT_MS) }) });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await app?.close();
  await redis.flushdb();
  redis.disconnect();
  rmSync(artifacts, { recursive: true, force: true });
  rmSync(profiles, { recursive: true, force: true });
});

async function call(method: string, path: string, body: string, contentType: string) {
  const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': contentType }, body });
  return { status: res.status, json: (await res.json()) as any };
}

/** Runs `work` while polling /healthz back to back; returns its result and the slowest health answer (ms). */
async function withHealthPolled<T>(work: () => Promise<T>): Promise<{ result: T; slowestHealthMs: number; polls: number }> {
  let done = false;
  let slowest = 0;
  let polls = 0;
  const poller = (async () => {
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - t);
      polls++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const result = await work();
    return { result, slowestHealthMs: slowest, polls };
  } finally {
    done = true;
    await poller;
  }
}

const rule = (name: string, cond: string) => `- rule: ${name}\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: o\n  priority: debug\n`;
const validate = (yaml: string) => call('POST', '/v1/rules/validate', yaml, 'application/yaml');

describe('POST /v1/rules/validate with hostile files', () => {
  it('the 876-byte doubling-macro file: 400 naming the macro, health answered within 1 s', async () => {
    let y = '- macro: m0\n  condition: proc.name = a\n';
    for (let i = 1; i <= 21; i++) y += `- macro: m${i}\n  condition: m${i - 1} or m${i - 1}\n`;
    y += rule('R', 'evt.type = execve and m21');
    const { result, slowestHealthMs } = await withHealthPolled(() => validate(y));
    expect(result.status).toBe(400);
    expect(result.json.code).toBe('validation_failed');
    expect(result.json.details[0]).toMatchObject({ field: "macro 'm13'.condition", message: expect.stringContaining('more than 10000 condition nodes') });
    expect(slowestHealthMs).toBeLessThan(1000);
  });

  it('5,000 nested parentheses and 15,000 `not`: 400 naming the rule condition', async () => {
    for (const cond of ['('.repeat(5000) + 'proc.name = a' + ')'.repeat(5000), 'not '.repeat(15_000) + 'proc.name = a']) {
      const { status, json } = await validate(rule('Deep', cond));
      expect(status).toBe(400);
      expect(json.details[0]).toMatchObject({ field: "rule 'Deep'.condition", message: expect.stringContaining('deeper than 200 levels') });
    }
  });

  it('a file that cannot be validated in time: 422 naming the body, the thread is replaced, health answered within 1 s', async () => {
    // 600,000 nested YAML flow sequences: the YAML parser alone needs several seconds.
    const yaml = `- list: l\n  items: ${'['.repeat(600_000)}\n`;
    const { result, slowestHealthMs, polls } = await withHealthPolled(() => validate(yaml));
    expect(result.status).toBe(422);
    expect(result.json.details).toEqual([{ field: 'body', message: `rules file too complex to validate in ${TIMEOUT_MS / 1000} s` }]);
    expect(polls).toBeGreaterThan(3);
    expect(slowestHealthMs).toBeLessThan(1000);
    // The next validation gets a fresh thread and works.
    const ok = await validate(rule('Fine', 'evt.type = execve and proc.name = sh'));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ valid: true, rulesLoaded: 1, limits: [] });
  }, 30_000);
});

describe('webhook image filters', () => {
  it('an over-long filter is a 400 naming filter.image; a pathological one is stored and matched in linear time', async () => {
    const long = await call('POST', '/v1/webhooks', JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['analysis.completed'], filter: { image: '*'.repeat(600) } }), 'application/json');
    expect(long.status).toBe(400);
    expect(long.json.details.map((d: { field: string }) => d.field)).toContain('filter.image');
    const created = await call('POST', '/v1/webhooks', JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['analysis.completed'], filter: { image: '**a**a**a**a**b' } }), 'application/json');
    expect(created.status).toBe(201);
    const stored = await fetch(`${base}/v1/webhooks/${created.json.id}`, { headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json() as Promise<any>);
    const image = 'registry.local:5000/' + 'a'.repeat(200);
    const t = performance.now();
    expect(passesFilter(stored.filter, image, 'malicious')).toBe(false);
    expect(passesFilter(stored.filter, image + 'b', 'malicious')).toBe(true);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
